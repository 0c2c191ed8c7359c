/**
 * The Kubo backend (docs/STORAGE.md § "Kubo and IPFS Cluster"): a Kubo RPC API, or an
 * IPFS Cluster's Kubo-compatible proxy (which replicates what it pins).
 *
 * The DAG is built here with the fixed settings and sent block by block (`block/put`,
 * unpinned), then the root is pinned; so the CID never depends on the node's own
 * import settings, and a failed add pins nothing. Reads fetch blocks with `block/get`
 * and verify each one here (read-file.ts): the node is not trusted.
 */
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { CID } from 'multiformats/cid';
import {
  IntegrityError,
  NotFoundError,
  UnavailableError,
  UsageError,
  isEmrError,
} from '../errors.js';
import { parseRecordCid } from './cid.js';
import { importFile, type AddSource } from './import-file.js';
import { readVerifiedFile, type FetchBlock } from './read-file.js';
import { CODEC_RAW } from './settings.js';
import type { RecordStore, StoreCallOptions } from './store.js';

export interface KuboStoreOptions {
  /** The RPC API base URL, e.g. `http://127.0.0.1:5001`. */
  url: string;
  /** How long the node may look for a block before it counts as missing (ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** `has` asks with a short bound: Kubo honours `offline`, js-ipfs only the timeout. */
const HAS_TIMEOUT_MS = 2_000;
/** Extra time the HTTP request gets beyond the node-side timeout before we give up on the node. */
const GRACE_MS = 5_000;
/** Pinning may walk a large DAG or wait for cluster replication. */
const PIN_TIMEOUT_MS = 10 * 60_000;

const HINT_DOWN = 'check that the IPFS node given by --ipfs-api (or EMR_IPFS_API) is running and reachable';

function oneLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export async function openKuboStore(opts: KuboStoreOptions): Promise<RecordStore> {
  let url: URL;
  try {
    url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch (e) {
    throw new UsageError('--ipfs-api is not an http(s) URL', {
      hint: 'give the Kubo RPC API as e.g. --ipfs-api http://127.0.0.1:5001',
      cause: e,
    });
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { create } = await import('kubo-rpc-client');
  // Our own agent, so close() can release the keep-alive sockets.
  const agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 6 }) : new Agent({ keepAlive: true, maxSockets: 6 });
  const client = create({ url, agent });
  const where = `${url.origin}`;

  /**
   * Runs one RPC call under a client-side deadline and maps failures (docs/CLI.md § Exit
   * codes): no answer or refused → UNAVAILABLE; the node's own timeout or "not found"
   * → NOT_FOUND (when `missingIsNotFound`). The caller's abort is passed through.
   */
  async function call<T>(
    what: string,
    nodeTimeoutMs: number,
    signal: AbortSignal | undefined,
    missingIsNotFound: boolean,
    fn: (o: { signal: AbortSignal; timeout: number }) => Promise<T>,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(nodeTimeoutMs + GRACE_MS);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      return await fn({ signal: combined, timeout: nodeTimeoutMs });
    } catch (e) {
      if (isEmrError(e)) throw e;
      signal?.throwIfAborted();
      if (deadline.aborted) {
        throw new UnavailableError(`IPFS node ${where} did not answer ${what} in time`, { hint: HINT_DOWN, cause: e });
      }
      const err = e as { name?: string; message?: string; cause?: { code?: string }; response?: unknown };
      const msg = String(err?.message ?? e);
      const nodeSaid = err?.response !== undefined || err?.name === 'TimeoutError' || err?.name === 'HTTPError';
      if (nodeSaid && missingIsNotFound && /timed out|deadline|not found|no such|not in the local|offline/i.test(msg)) {
        throw new NotFoundError(`IPFS node ${where} could not find ${what}`, {
          hint: 'check the CID, or point --ipfs-api at a node that holds the record',
          cause: e,
        });
      }
      if (nodeSaid) {
        throw new UnavailableError(`IPFS node ${where} refused ${what}: ${oneLine(msg)}`, { hint: HINT_DOWN, cause: e });
      }
      throw new UnavailableError(`cannot reach IPFS node ${where}`, { hint: HINT_DOWN, cause: e });
    }
  }

  const fetch: FetchBlock = (cid, { signal }) =>
    call(`block ${cid}`, timeoutMs, signal, true, (o) => client.block.get(cid, o));

  async function putBlock(cid: CID, bytes: Uint8Array, signal?: AbortSignal): Promise<CID> {
    const got = await call(`block/put`, timeoutMs, signal, false, (o) =>
      client.block.put(bytes, {
        ...o,
        format: cid.code === CODEC_RAW ? 'raw' : 'dag-pb',
        mhtype: 'sha2-256',
        version: 1,
        pin: false,
      }),
    );
    // Nodes key blocks by multihash; a different one means the node stored other bytes.
    if (!equalBytes(got.multihash.bytes, cid.multihash.bytes)) {
      throw new IntegrityError(`IPFS node ${where} stored a block under a different hash`, {
        hint: 'the node is misbehaving; use another --ipfs-api',
      });
    }
    return cid;
  }

  async function pinRoot(root: CID, signal?: AbortSignal): Promise<void> {
    await call(`pin ${root}`, PIN_TIMEOUT_MS, signal, true, (o) => client.pin.add(root, { ...o, recursive: true }));
  }

  const store: RecordStore = {
    kind: 'kubo',

    async add(source: AddSource, o: StoreCallOptions = {}) {
      const result = await importFile(source, { put: (cid, bytes, p) => putBlock(cid, bytes, p?.signal) }, o);
      // Pinned only after every block is stored: a failed add leaves nothing pinned.
      await pinRoot(parseRecordCid(result.cid).cid, o.signal);
      return result;
    },

    addBytes(bytes: Uint8Array, o?: StoreCallOptions) {
      return store.add((async function* () { yield bytes; })(), o);
    },

    cat(cid: string, o: StoreCallOptions = {}) {
      return readVerifiedFile(parseRecordCid(cid).cid, fetch, o);
    },

    async has(cid: string, o: StoreCallOptions = {}) {
      const root = parseRecordCid(cid).cid;
      try {
        await call(`block ${root}`, HAS_TIMEOUT_MS, o.signal, true, (p) =>
          // kubo-rpc-client forwards unknown options as query parameters: Kubo's global
          // `offline` flag keeps `has` from searching the network.
          client.block.stat(root, { ...p, offline: true } as Parameters<typeof client.block.stat>[1]),
        );
        return true;
      } catch (e) {
        if (e instanceof NotFoundError) return false;
        throw e;
      }
    },

    async pin(cid: string, o: StoreCallOptions = {}) {
      await pinRoot(parseRecordCid(cid).cid, o.signal);
    },

    async unpin(cid: string, o: StoreCallOptions = {}) {
      const root = parseRecordCid(cid).cid;
      try {
        await call(`unpin ${root}`, timeoutMs, o.signal, false, (p) => client.pin.rm(root, { ...p, recursive: true }));
      } catch (e) {
        // Idempotent, like the embedded store: "not pinned" is success.
        if (e instanceof UnavailableError && /not pinned/i.test(e.message)) return;
        throw e;
      }
    },

    async getBlock(cid: CID, o: StoreCallOptions = {}) {
      try {
        return await fetch(cid, { signal: o.signal ?? new AbortController().signal, isRoot: true });
      } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    },

    async putBlock(cid: CID, bytes: Uint8Array, o: StoreCallOptions = {}) {
      await putBlock(cid, bytes, o.signal);
    },

    async close() {
      agent.destroy();
    },
  };
  return store;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
