/**
 * Resume (MANIFEST.md § 6.2): settle every transaction the journal shows as signed but
 * not settled before anything new is sent, so a record is never registered twice.
 *
 * 0. Every journaled confirmation is checked against the chain as it is now: a block the
 *    chain no longer holds (a devnet restarted from a dump older than the job, a reorg)
 *    takes its records with it, and a journal that still says "confirmed" would leave
 *    those rows unregistered for good. Such a transaction is journaled `lost` and is in
 *    flight again (steps 1–4); one mined in another block gets its ids read afresh.
 * 1. A receipt by hash: status 1 → confirmed (ids from its logs); status 0 → abandoned.
 * 2. Known to the node but pending → wait for it.
 * 3. Unknown, and our nonce not yet used on chain → re-broadcast the journaled bytes
 *    (same hash: it can only ever be mined once) and wait.
 * 4. Unknown, and the nonce taken by another transaction → it can never be mined; rows
 *    found on chain anyway (listRecords by patient + author, matching digest) are
 *    confirmed from there, the rest go back to "stored" and are sent again.
 */

import { toChainError } from '../chain/errors.js';
import { listRecords } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';
import { UnavailableError } from '../errors.js';
import { type ConfirmedEvent, type Journal, type JournalState, replay, type StoredEvent, type TxEvent } from './journal.js';
import { idsFromReceipt, type WaitOptions, waitForReceipt } from './send-batch.js';

export interface Recovered {
  /** Keys whose registration this resume confirmed. */
  confirmed: string[];
  /** Keys put back to "stored" for another send. */
  requeued: string[];
  /** Keys whose journaled confirmation the chain no longer holds (step 0). */
  lost: string[];
  /** This journal's state after the recovery (rows confirmed in other journals are not in it). */
  state: JournalState;
}

/** Receipts are asked this many at a time: ethers sends them as one JSON-RPC batch. */
const RECEIPTS_PER_REQUEST = 100;

/**
 * Step 0: confirmations the chain no longer shows. Those of this journal are journaled
 * `lost`; those `state` took from the home's other journals (§ 6.2) are only reported, as
 * that journal is not ours to write. Returns the keys no longer confirmed.
 */
async function recheckConfirmed(chain: EmrChain, journal: Journal, state: JournalState): Promise<string[]> {
  const ours = new Map<string, ConfirmedEvent>();
  for (const ev of journal.events) {
    if (ev.ev === 'confirmed') ours.set(ev.txHash, ev);
    else if (ev.ev === 'lost') ours.delete(ev.txHash);
  }
  const keysOf = new Map<string, string[]>();
  for (const [key, c] of state.confirmed) keysOf.set(c.txHash, [...(keysOf.get(c.txHash) ?? []), key]);
  const lost: string[] = [];
  const hashes = [...keysOf.keys()];
  for (let i = 0; i < hashes.length; i += RECEIPTS_PER_REQUEST) {
    const chunk = hashes.slice(i, i + RECEIPTS_PER_REQUEST);
    const receipts = await Promise.all(chunk.map((h) => chain.provider.getTransactionReceipt(h)));
    chunk.forEach((txHash, j) => {
      const keys = keysOf.get(txHash)!;
      const ev = ours.get(txHash);
      const receipt = receipts[j];
      if (receipt?.status !== 1) {
        if (ev) journal.append({ ev: 'lost', txHash });
        lost.push(...keys);
      } else if (ev && ev.blockNumber !== 0 && receipt.blockNumber !== ev.blockNumber) {
        // Mined again in another block: the contract may have numbered the records anew.
        const entries = keys
          .filter((k) => k in ev.ids && state.stored.has(k))
          .map((key) => ({ key, digest: state.stored.get(key)!.digest }));
        journal.append({
          ev: 'confirmed',
          txHash,
          ids: Object.fromEntries(idsFromReceipt(chain, receipt, entries)),
          gasUsed: receipt.gasUsed.toString(),
          blockNumber: receipt.blockNumber,
        });
      }
    });
  }
  return lost;
}

async function settleFromReceipt(
  chain: EmrChain,
  journal: Journal,
  tx: TxEvent,
  stored: Map<string, StoredEvent>,
  out: Recovered,
  wait: WaitOptions,
): Promise<boolean> {
  let receipt = await chain.provider.getTransactionReceipt(tx.txHash);
  if (!receipt) {
    const pending = await chain.provider.getTransaction(tx.txHash);
    if (!pending) return false;
    receipt = await waitForReceipt(chain, tx.txHash, wait);
  }
  if (receipt.status !== 1) {
    journal.append({ ev: 'abandoned', txHash: tx.txHash, reason: 'reverted' });
    out.requeued.push(...tx.keys);
    return true;
  }
  const entries = tx.keys.map((key) => ({ key, digest: stored.get(key)!.digest }));
  const ids = idsFromReceipt(chain, receipt, entries);
  journal.append({
    ev: 'confirmed',
    txHash: tx.txHash,
    ids: Object.fromEntries(ids),
    gasUsed: receipt.gasUsed.toString(),
    blockNumber: receipt.blockNumber,
  });
  out.confirmed.push(...tx.keys);
  return true;
}

export async function recoverInflight(
  chain: EmrChain,
  journal: Journal,
  initial: JournalState,
  author: string,
  wait: WaitOptions = {},
): Promise<Recovered> {
  const out: Recovered = { confirmed: [], requeued: [], lost: [], state: initial };
  let state = initial;
  try {
    out.lost = await recheckConfirmed(chain, journal, state);
    if (out.lost.length) state = replay(journal.events);
    for (const tx of state.inflight) {
      if (await settleFromReceipt(chain, journal, tx, state.stored, out, wait)) continue;
      const used = await chain.provider.getTransactionCount(author, 'latest');
      if (used <= tx.nonce) {
        try {
          await chain.provider.broadcastTransaction(tx.raw);
          journal.append({ ev: 'sent', txHash: tx.txHash });
        } catch {
          // Refused (e.g. a gap or a fee change): fall through to the on-chain check.
        }
        if (await settleFromReceipt(chain, journal, tx, state.stored, out, wait)) continue;
      }
      // Case 4: this transaction can never be mined. Look for its rows on chain anyway.
      const byDigest = new Map<string, { id: string; txHash: string }>();
      const seenPatients = new Set<string>();
      for (const key of tx.keys) {
        const patient = state.stored.get(key)?.patient;
        if (!patient || seenPatients.has(patient)) continue;
        seenPatients.add(patient);
        for (const r of await listRecords(chain, { patient, author }))
          byDigest.set(r.digest.toLowerCase(), { id: r.id.toString(), txHash: r.txHash });
      }
      const found: Record<string, { id: string; txHash: string }> = {};
      for (const key of tx.keys) {
        const hit = byDigest.get(state.stored.get(key)!.digest.toLowerCase());
        if (hit) found[key] = hit;
      }
      const byTx = new Map<string, Record<string, string>>();
      for (const [key, hit] of Object.entries(found)) {
        const m = byTx.get(hit.txHash) ?? {};
        m[key] = hit.id;
        byTx.set(hit.txHash, m);
      }
      for (const [txHash, ids] of byTx) {
        // Gas of those transactions is not ours to count again: 0 here.
        journal.append({ ev: 'confirmed', txHash, ids, gasUsed: '0', blockNumber: 0 });
        out.confirmed.push(...Object.keys(ids));
      }
      journal.append({ ev: 'abandoned', txHash: tx.txHash, reason: 'never mined' });
      out.requeued.push(...tx.keys.filter((k) => !found[k]));
    }
  } catch (e) {
    const err = toChainError(e, chain.iface);
    if (err instanceof UnavailableError) {
      throw new UnavailableError("cannot settle the previous run's transactions: chain unreachable", {
        hint: 'start the chain (`emr devnet up`) and run again with --resume',
        cause: e,
      });
    }
    throw err;
  }
  out.state = out.lost.length || out.confirmed.length || out.requeued.length ? replay(journal.events) : state;
  return out;
}
