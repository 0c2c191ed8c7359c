/**
 * `emr record erase <id> [--reason …]`, the whole use case (docs/CLI.md § record erase;
 * CONTRACT.md § Erasure). Only the record's patient (else exit 3, nothing sent).
 *
 * Order, so that nothing is claimed erased that is not, and a re-run finishes the job:
 *  1. the tombstone on chain (`eraseRecord`, the reason sealed to the patient), unless the
 *     chain already has this patient's tombstone for the record (a re-run: no transaction);
 *  2. every ciphertext the record ever had (its CID and the ones re-keys replaced), and the
 *     key deliveries that carry only keys of erased records, purged from every store this
 *     site controls (each `--ipfs-api` node, and the home's embedded store); then each node
 *     is asked whether it still holds each CID: only what is gone is reported removed;
 *  3. the patient's local cache of its metadata dropped;
 *  4. the copies out of reach reported (erase-copies.ts).
 * A node that fails in 2 fails the command (exit 6) AFTER the tombstone, with the whole
 * report in `error.details`; running it again does 2–4 only.
 */
import { partsToCid } from '../chain/cid.js';
import { eraseRecord } from '../chain/erase-record.js';
import { addressTopic, queryEvents } from '../chain/logs.js';
import { type EraseInfo, getRecord, listRecords } from '../chain/records.js';
import { CODEC_RAW } from '../chain/types.js';
import { AccessDeniedError, isEmrError, UnavailableError } from '../errors.js';
import { forEachInFlight } from '../in-flight.js';
import type { RecordStore } from '../ipfs/store.js';
import type { With } from '../session/index.js';
import { controlledStores } from '../session/store.js';
import { type OutOfReach, outOfReach } from './erase-copies.js';
import { openEraseReason, sealEraseReason } from './erase-reason.js';
import { MetaCache } from './meta-cache.js';
import { SignOnlyLog } from './sign-only-log.js';
import { slotsFor } from './type-keys.js';

export interface StoreOutcome {
  node: string;
  /** CIDs this node no longer holds. */
  removed: string[];
  /** CIDs it still holds, or could not be asked about, with why. */
  failed: Array<{ cid: string; error: string }>;
}

export interface EraseResult {
  id: string;
  patient: string;
  type: string;
  /** The tombstone: when, by whom, in which transaction. */
  erasedAt: string;
  erasedBy: string;
  txHash: string;
  /** Gas of the tombstone transaction; null on a re-run (no transaction). */
  gasUsed: string | null;
  /** True when the chain already had the tombstone: this run only finished the removal. */
  alreadyErased: boolean;
  /** The reason as the patient can open it (sealed on chain), or null. */
  reason: string | null;
  /** Every ciphertext CID the record had. */
  cids: string[];
  stores: StoreOutcome[];
  deliveries: Array<{ provider: string; kind: string; cid: string; forgotten: boolean; why: string }>;
  /** Local caches that held its metadata and dropped it. */
  caches: string[];
  outOfReach: OutOfReach;
  /** True when every controlled store answered that it holds none of the CIDs. */
  complete: boolean;
}

const iso = (t: number) => new Date(t * 1000).toISOString();

/** At most this many questions in flight to one node at a time (the after-purge checks). */
const CHECKS_IN_FLIGHT = 8;

/**
 * Purges each CID on each node, then asks the node: only what it no longer holds is
 * "removed". The nodes are independent and go side by side: one that is slow or down
 * delays only its own row. On one node the purges go one after another (a store's pin
 * set is one record of state: two purges must not race on it), then the checks go
 * together, read-only: a node answers for a block it no longer holds only at its lookup
 * bound (a js-ipfs node ignores `offline`: the 2 s of `has`), and one at a time that
 * bound was paid once per CID and node (16 s of the first erase in erase.test).
 */
async function purgeEverywhere(nodes: Array<{ name: string; store: RecordStore }>, cids: string[]): Promise<StoreOutcome[]> {
  const settled = await Promise.allSettled(nodes.map((n) => purgeNode(n, cids)));
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<StoreOutcome>).value);
}

async function purgeNode(n: { name: string; store: RecordStore }, cids: string[]): Promise<StoreOutcome> {
  const errors = new Map<string, string>();
  const asEmrMessage = (e: unknown) => {
    if (!isEmrError(e)) throw e;
    return e.message;
  };
  for (const cid of cids) {
    try {
      await (n.store.purge ? n.store.purge(cid) : n.store.forget(cid));
    } catch (e) {
      errors.set(cid, asEmrMessage(e));
    }
  }
  const held = new Map<string, boolean>();
  await forEachInFlight(
    cids.filter((c) => !errors.has(c)),
    CHECKS_IN_FLIGHT,
    async (cid) => {
      try {
        held.set(cid, await n.store.has(cid));
      } catch (e) {
        errors.set(cid, asEmrMessage(e));
      }
    },
  );
  // The report keeps the order of `cids`, whatever order the answers came in.
  const o: StoreOutcome = { node: n.name, removed: [], failed: [] };
  for (const cid of cids) {
    const error = errors.get(cid) ?? (held.get(cid) ? 'still held after the purge (another pin keeps it?)' : undefined);
    if (error !== undefined) o.failed.push({ cid, error });
    else o.removed.push(cid);
  }
  return o;
}

export async function eraseRecordFlow(s: With<'me' | 'chain'>, id: bigint, reason: string): Promise<EraseResult> {
  const me = s.me.profile.address;
  let rec = await getRecord(s.chain, id);
  if (me.toLowerCase() !== rec.patient.toLowerCase()) {
    throw new AccessDeniedError(`only record ${id}'s patient may erase it`, {
      hint: 'erasure is the patient’s right (CONTRACT.md § Erasure); an author corrects a record with `emr record void`',
      details: { patient: rec.patient },
    });
  }
  const alreadyErased = rec.erased !== null;
  let gasUsed: string | null = null;
  if (!alreadyErased) {
    const sealed = await sealEraseReason(s.me.age.recipient, reason);
    const tx = await eraseRecord(s.chain, { id, sealedReason: sealed });
    gasUsed = tx.gasUsed.toString();
    rec = await getRecord(s.chain, id);
  }
  const tomb = rec.erased as EraseInfo;
  const cids = [...rec.pastCids, rec.cid];

  // Key deliveries that carry keys of erased records only (CONTRACT.md § Erasure).
  const erasedIds = new Set((await listRecords(s.chain, { patient: me })).filter((r) => r.erased).map((r) => r.id.toString()));
  erasedIds.add(id.toString());
  const log = new SignOnlyLog(s.home, s.me);
  const signOnly = await log.entries();
  const deliveries: EraseResult['deliveries'] = [];
  const scoped = await queryEvents(s.chain, { names: ['RecordsGranted'], topics: [addressTopic(me)], fromBlock: s.chain.fromBlock });
  for (const ev of scoped) {
    const ids = (ev.args[2] as bigint[]).map(String);
    if (!ids.includes(id.toString())) continue;
    const only = ids.every((x) => erasedIds.has(x));
    deliveries.push({
      provider: String(ev.args[1]),
      kind: 'record-grant',
      cid: partsToCid({ cidCodec: CODEC_RAW, digest: String(ev.args[5]) }),
      forgotten: only,
      why: only ? 'carries keys of erased records only' : 'also carries keys of records not erased: kept for them',
    });
  }
  for (const d of signOnly) {
    if (!d.records.some((r) => String(r.id) === id.toString())) continue;
    const only = d.records.every((r) => erasedIds.has(String(r.id)));
    deliveries.push({
      provider: d.provider,
      kind: 'sign-only',
      cid: d.cid,
      forgotten: only,
      why: only ? 'carries keys of erased records only' : 'also carries keys of records not erased: kept for them',
    });
  }

  const nodes = await controlledStores(s.ctx);
  let stores: StoreOutcome[];
  try {
    const toForget = deliveries.filter((d) => d.forgotten).map((d) => d.cid);
    stores = await purgeEverywhere(nodes, [...cids, ...toForget]);
  } finally {
    for (const n of nodes) await n.store.close().catch(() => undefined);
  }
  // A delivery counts as forgotten only where every node let it go.
  for (const d of deliveries) {
    if (!d.forgotten) continue;
    d.forgotten = stores.every((o) => !o.failed.some((f) => f.cid === d.cid));
    if (d.forgotten && d.kind === 'sign-only') log.markForgotten(d.cid);
  }

  const caches: string[] = [];
  const cache = new MetaCache(
    s.home,
    { address: me.toLowerCase(), identity: s.me.age.identity, recipient: s.me.age.recipient },
    `${s.chain.chainId}:${s.chain.address.toLowerCase()}`,
  );
  await cache.load();
  if (cache.drop(cids)) {
    await cache.save();
    caches.push('record-meta');
  }

  const gateways = s.ctx.globals.ipfsGateways ?? s.ctx.config.get('ipfsGateways') ?? [];
  const result: EraseResult = {
    id: id.toString(),
    patient: rec.patient,
    type: (await slotsFor(s, rec.patient)).display(rec.recordType),
    erasedAt: iso(tomb.at),
    erasedBy: tomb.by,
    txHash: tomb.txHash,
    gasUsed,
    alreadyErased,
    reason: (await openEraseReason(tomb.sealedReason, s.me.age.identity)) ?? null,
    cids,
    stores,
    deliveries,
    caches,
    outOfReach: await outOfReach(s.chain, rec, signOnly, gateways),
    complete: stores.every((o) => o.failed.length === 0),
  };
  if (!result.complete) {
    const bad = stores.filter((o) => o.failed.length > 0).map((o) => o.node);
    throw new UnavailableError(
      `record ${id} is erased on chain, but ${bad.join(', ')} still hold${bad.length === 1 ? 's' : ''} some of its bytes`,
      {
        hint: `run \`emr record erase ${id}\` again (same --ipfs-api) when the node answers: it finishes the removal`,
        details: result as unknown as Record<string, unknown>,
      },
    );
  }
  return result;
}
