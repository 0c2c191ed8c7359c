/**
 * Replication before registration (docs/STORAGE.md § "Replicas"): several Kubo nodes
 * (`--ipfs-api` repeated) behind one store. `add` imports on the first node that answers,
 * then copies every block (verified, car.ts walk) to the others and pins there; it
 * succeeds only when at least `replicas` nodes hold the whole DAG pinned, so the caller
 * (records/add.ts) registers nothing that is not replicated. A node that is down costs a
 * replica, not the add, unless too few remain: then UnavailableError (exit 6) and the
 * record is not registered; a retry re-adds idempotently.
 */

import { isEmrError, UnavailableError } from '../errors.js';
import { walkDag } from './car.js';
import { parseRecordCid } from './cid.js';
import type { AddResult, AddSource, RecordStore, StoreCallOptions } from './store-types.js';

export interface ReplicatedStore extends RecordStore {
  /** The nodes (their names) holding `cid` pinned or present. */
  locations(cid: string, opts?: StoreCallOptions): Promise<string[]>;
}

export function replicatedStore(nodes: Array<{ name: string; store: RecordStore }>, replicas: number): ReplicatedStore {
  const need = Math.min(Math.max(1, replicas), nodes.length);
  const tooFew = (held: string[], cause?: unknown) =>
    new UnavailableError(`the record is pinned on ${held.length} of the ${need} IPFS nodes required`, {
      hint: 'check the --ipfs-api nodes that are down, or lower --replicas; nothing was registered, so retrying is safe',
      cause,
      details: { pinnedOn: held },
    });

  async function copyTo(target: RecordStore, from: RecordStore, cid: string, o: StoreCallOptions): Promise<void> {
    const root = parseRecordCid(cid).cid;
    for await (const b of walkDag(root, (c) => from.getBlock!(c, o))) await target.putBlock!(b.cid, b.bytes, o);
    await target.pin(cid, o);
  }

  async function replicate(first: number, result: AddResult, o: StoreCallOptions): Promise<AddResult & { pinnedOn: string[] }> {
    const held = [nodes[first]!.name];
    let lastError: unknown;
    for (let i = 0; i < nodes.length; i++) {
      if (i === first) continue;
      try {
        await copyTo(nodes[i]!.store, nodes[first]!.store, result.cid, o);
        held.push(nodes[i]!.name);
      } catch (e) {
        if (!isEmrError(e)) throw e;
        lastError = e;
      }
    }
    if (held.length < need) throw tooFew(held, lastError);
    return { ...result, pinnedOn: held };
  }

  async function addOnce(
    fn: (st: RecordStore) => Promise<AddResult>,
    retryable: boolean,
    o: StoreCallOptions,
  ): Promise<AddResult & { pinnedOn: string[] }> {
    let lastError: unknown;
    for (let i = 0; i < nodes.length; i++) {
      let added: AddResult;
      try {
        added = await fn(nodes[i]!.store);
      } catch (e) {
        if (!isEmrError(e) || !retryable) throw e;
        lastError = e;
        continue;
      }
      return replicate(i, added, o);
    }
    throw tooFew([], lastError);
  }

  const store: ReplicatedStore = {
    kind: nodes[0]!.store.kind,
    add(source: AddSource, o: StoreCallOptions = {}) {
      // A stream cannot be read twice: only a file path may be retried on the next node.
      return addOnce((st) => st.add(source, o), typeof source === 'string', o);
    },
    addBytes(bytes: Uint8Array, o: StoreCallOptions = {}) {
      return addOnce((st) => st.addBytes(bytes, o), true, o);
    },
    async *cat(cid: string, o: StoreCallOptions = {}) {
      for (const n of nodes) {
        let here = false;
        try {
          here = await n.store.has(cid, o);
        } catch {
          here = false;
        }
        if (here) {
          yield* n.store.cat(cid, o);
          return;
        }
      }
      yield* nodes[0]!.store.cat(cid, o);
    },
    /** Held by enough replicas: a retry after a partial add re-adds instead of reusing. */
    async has(cid: string, o: StoreCallOptions = {}) {
      return (await store.locations(cid, o)).length >= need;
    },
    async locations(cid: string, o: StoreCallOptions = {}) {
      const out: string[] = [];
      for (const n of nodes) {
        try {
          if (await n.store.has(cid, o)) out.push(n.name);
        } catch {
          // a node that is down holds nothing we can count on
        }
      }
      return out;
    },
    async pin(cid: string, o: StoreCallOptions = {}) {
      const held: string[] = [];
      for (const n of nodes) {
        try {
          await n.store.pin(cid, o);
          held.push(n.name);
        } catch (e) {
          if (!isEmrError(e)) throw e;
        }
      }
      if (held.length < need) throw tooFew(held);
    },
    async unpin(cid: string, o: StoreCallOptions = {}) {
      for (const n of nodes) await n.store.unpin(cid, o);
    },
    async forget(cid: string, o: StoreCallOptions = {}) {
      for (const n of nodes) await n.store.forget(cid, o);
    },
    async getBlock(cid, o) {
      for (const n of nodes) {
        try {
          const b = await n.store.getBlock?.(cid, o);
          if (b) return b;
        } catch {
          // try the next node
        }
      }
      return undefined;
    },
    async putBlock(cid, bytes, o) {
      for (const n of nodes) await n.store.putBlock?.(cid, bytes, o);
    },
    async close() {
      for (const n of nodes) await n.store.close();
    },
  };
  return store;
}
