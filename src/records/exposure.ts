/**
 * Who can open a record's *current* ciphertext, derived from the chain (docs/SHARING.md
 * § 3.5). An age X25519 stanza does not name its recipient and the patient cannot test-
 * unwrap it for someone else's key, so the header cannot answer "is this addressed to
 * mal?". The chain can, conservatively: every way a party comes to hold a key to a
 * ciphertext is an event the patient's contract emitted —
 *
 *   - `RecordAdded` by that party as author (record add encrypts to the author);
 *   - a type grant (`Granted`) covering the type, in force when the ciphertext was made
 *     (record add and re-key encrypt to live readers) or made later (its key delivery may
 *     carry the ciphertext's key);
 *   - a record-scoped grant (`RecordsGranted`) naming the id, likewise (re-key encrypts to
 *     live record-scoped readers, § 3.6; the grant's delivery carries keys);
 *   - an emergency key release (`EmergencyKeysReleased`) after the ciphertext was made.
 *
 * The rule over-approximates (an expired grant still counts; a release counts for every
 * type): re-keying one record too many costs a transaction, missing one leaks it.
 * Block granularity is also conservative: an event in the ciphertext's own block counts.
 */

import { addressTopic, queryEvents } from '../chain/logs.js';
import type { RecordInfo } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';

/** The block at which each record's current CID was set (its add, or its latest re-key by its patient). */
export async function currentCipherBlocks(chain: EmrChain, patient: string, records: RecordInfo[]): Promise<Map<string, number>> {
  const out = new Map(records.map((r) => [r.id.toString(), r.blockNumber]));
  // Same acceptance rule as chain/records.ts: only the record's own patient re-keys it.
  const rekeys = await queryEvents(chain, { names: ['RecordRekeyed'], topics: [null, addressTopic(patient)], fromBlock: chain.fromBlock });
  for (const ev of rekeys) {
    const id = (ev.args[0] as bigint).toString();
    const at = out.get(id);
    if (at !== undefined && ev.blockNumber >= at) out.set(id, ev.blockNumber);
  }
  return out;
}

interface Window {
  /** Block the access or delivery ended (Infinity while it lasts). */
  end: number;
  mask: number;
  ids: Set<string> | null;
}

/** The records of `patient` whose current ciphertext `party` may hold a key to. */
export async function exposedTo(chain: EmrChain, patient: string, party: string, records: RecordInfo[]): Promise<RecordInfo[]> {
  const events = await queryEvents(chain, {
    names: ['Granted', 'RecordsGranted', 'Revoked', 'EmergencyKeysReleased'],
    topics: [addressTopic(patient), addressTopic(party)],
    fromBlock: chain.fromBlock,
  });
  const windows: Window[] = [];
  let typeGrant: Window | null = null;
  let scoped: Window[] = [];
  for (const ev of events) {
    if (ev.name === 'Granted') {
      // A new grant replaces the slot's masks: the previous type grant ends here.
      if (typeGrant) typeGrant.end = ev.blockNumber;
      typeGrant = { end: Infinity, mask: Number(ev.args[2]) >>> 0, ids: null };
      windows.push(typeGrant);
    } else if (ev.name === 'RecordsGranted') {
      const w: Window = { end: Infinity, mask: 0, ids: new Set((ev.args[2] as bigint[]).map((x) => x.toString())) };
      scoped.push(w);
      windows.push(w);
    } else if (ev.name === 'Revoked') {
      // Zeroes the slot and bumps the epoch: type and record-scoped grants all end.
      if (typeGrant) typeGrant.end = ev.blockNumber;
      for (const w of scoped) w.end = Math.min(w.end, ev.blockNumber);
      typeGrant = null;
      scoped = [];
    } else {
      windows.push({ end: ev.blockNumber, mask: 0xffffffff, ids: null });
    }
  }
  const since = await currentCipherBlocks(chain, patient, records);
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return records.filter((r) => {
    const at = since.get(r.id.toString()) ?? r.blockNumber;
    // The add encrypted to the author; a re-key includes the author only while a reader.
    if (same(r.author, party) && r.rekeyCount === 0) return true;
    return windows.some((w) => w.end >= at && (((w.mask >>> r.recordType) & 1) === 1 || (w.ids?.has(r.id.toString()) ?? false)));
  });
}
