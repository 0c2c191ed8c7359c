/**
 * What an erasure cannot reach (CONTRACT.md § Erasure, "What cannot be destroyed"): the
 * copies and keys other parties may hold, read from the chain and the patient's own log of
 * sign-only deliveries. Over-approximated like a re-key's scope (SHARING.md § 3.5): naming
 * a party too many costs a line, missing one would claim a copy gone that is not.
 *
 * - fetched: the record's read receipts that match it (CONTRACT.md § Read receipts), by
 *   others than the patient. Receipts are voluntary: no receipt does not mean no copy.
 * - keys: every party that may hold a key to one of its ciphertexts, from the first add
 *   on: its author; a type grant covering its slot live at or after the add (the record
 *   was encrypted to it, or its delivery carries the key); a record grant naming it; an
 *   emergency key release after the add; a sign-only delivery carrying it.
 * - sites: the consortium emergency key (when the patient ever made the slot
 *   emergency-visible), every organisation granted the slot (SHARING.md § 9), the gateways this site reads (caches of other sites), and every
 *   party above (its own store, cache or disk).
 */
import { addressTopic, idTopic, queryEvents } from '../chain/logs.js';
import { checkReceipts } from '../chain/receipts.js';
import type { RecordInfo } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';
import { urlLabel } from '../output.js';
import type { SignOnlyDelivery } from './sign-only-log.js';

export interface CopyHolder {
  address: string;
  /** How the key or copy reached it. */
  how: Array<'author' | 'type-grant' | 'record-grant' | 'emergency-release' | 'sign-only-delivery'>;
}

export interface OutOfReach {
  fetchedBy: Array<{ address: string; at: number; txHash: string }>;
  keysTo: CopyHolder[];
  otherSites: Array<{ name: string; why: string }>;
}

const MAX_LISTED = 1000;

export async function outOfReach(
  chain: EmrChain,
  rec: RecordInfo,
  signOnly: ReadonlyArray<SignOnlyDelivery>,
  gateways: readonly string[],
): Promise<OutOfReach> {
  const patient = rec.patient.toLowerCase();
  const [receipts, grants, emergency, orgGrants] = await Promise.all([
    queryEvents(chain, { names: ['RecordAccessed'], topics: [idTopic(rec.id), addressTopic(rec.patient)], fromBlock: chain.fromBlock }),
    queryEvents(chain, {
      names: ['Granted', 'RecordsGranted', 'Revoked', 'EmergencyKeysReleased'],
      topics: [addressTopic(rec.patient)],
      fromBlock: chain.fromBlock,
    }),
    queryEvents(chain, { names: ['EmergencyTypesSet'], topics: [addressTopic(rec.patient)], fromBlock: chain.fromBlock }),
    queryEvents(chain, { names: ['OrgGranted'], topics: [addressTopic(rec.patient)], fromBlock: chain.fromBlock }),
  ]);
  const checked = await checkReceipts(chain, receipts);
  const fetchedBy = receipts
    .filter((e) => checked.get(e) === null && String(e.args[2]).toLowerCase() !== patient)
    .slice(0, MAX_LISTED)
    .map((e) => ({ address: String(e.args[2]), at: e.blockNumber, txHash: e.txHash }));

  const holders = new Map<string, CopyHolder>();
  const add = (address: string, how: CopyHolder['how'][number]) => {
    const k = address.toLowerCase();
    if (k === patient) return;
    const h = holders.get(k) ?? { address, how: [] };
    if (!h.how.includes(how)) h.how.push(how);
    holders.set(k, h);
  };
  add(rec.author, 'author');
  const slotBit = (mask: number) => ((mask >>> rec.recordType) & 1) === 1;
  // A type grant's window ends at the slot's next Granted or Revoked (exposure.ts).
  const open = new Map<string, { mask: number; provider: string }>();
  const id = rec.id.toString();
  for (const ev of grants) {
    const provider = String(ev.args[1]);
    const k = provider.toLowerCase();
    const atOrAfterAdd = ev.blockNumber >= rec.blockNumber;
    if (ev.name === 'Granted') {
      const prev = open.get(k);
      // The previous window of this provider ends here; it counted if it covered the slot.
      if (prev && slotBit(prev.mask) && atOrAfterAdd) add(provider, 'type-grant');
      open.set(k, { mask: Number(ev.args[2]) >>> 0, provider });
      if (atOrAfterAdd && slotBit(Number(ev.args[2]) >>> 0)) add(provider, 'type-grant');
    } else if (ev.name === 'RecordsGranted') {
      if ((ev.args[2] as bigint[]).some((x) => x.toString() === id)) add(provider, 'record-grant');
    } else if (ev.name === 'Revoked') {
      const prev = open.get(k);
      if (prev && slotBit(prev.mask) && atOrAfterAdd) add(provider, 'type-grant');
      open.delete(k);
    } else if (atOrAfterAdd) {
      add(provider, 'emergency-release');
    }
  }
  // Windows still open now cover the add.
  for (const w of open.values()) if (slotBit(w.mask)) add(w.provider, 'type-grant');
  for (const d of signOnly) if (d.records.some((r) => String(r.id) === id)) add(d.provider, 'sign-only-delivery');

  const otherSites: OutOfReach['otherSites'] = [];
  if (emergency.some((e) => slotBit(Number(e.args[1]) >>> 0))) {
    otherSites.push({
      name: 'consortium emergency key',
      why: 'the record’s type was emergency-visible: its ciphertext may be encrypted to the custodian’s key',
    });
  }
  // SHARING.md § 9: an org grant covering the slot gave its members (of then) the key.
  const orgs = new Set(orgGrants.filter((e) => slotBit(Number(e.args[2]) >>> 0)).map((e) => String(e.args[1])));
  for (const org of [...orgs].slice(0, MAX_LISTED)) {
    otherSites.push({ name: `org ${org}`, why: 'an organisation grant covered its type: its members may hold the key and a copy' });
  }
  for (const g of gateways) otherSites.push({ name: urlLabel(g), why: 'a gateway this site reads: it may cache what it served' });
  if (holders.size > 0 || fetchedBy.length > 0) {
    otherSites.push({ name: 'the sites of the parties above', why: 'each may keep a copy and its key in its own store, cache or files' });
  }
  otherSites.push({ name: 'IPFS peers that fetched it', why: 'any node that fetched a block may keep it until its own GC; unknown here' });
  return { fetchedBy, keysTo: [...holders.values()].slice(0, MAX_LISTED), otherSites };
}
