/**
 * Record reads: records are RecordAdded events; a RecordRekeyed event replaces the CID
 * only when its emitter (the `patient` topic) is the record's patient, because the
 * contract cannot check that itself (CONTRACT.md § Re-key). Likewise a RecordVoided counts only
 * from the record's author or patient, and a PrescriptionDispensed only on a prescription of
 * that patient (CONTRACT.md § Void and dispense), and a RecordErased only from the record's
 * patient (CONTRACT.md § Erasure).
 */
import { NotFoundError } from '../errors.js';
import { partsToCid } from './cid.js';
import { addressTopic, blockTimes, type ChainEvent, idTopic, queryEvents } from './logs.js';
import { checkId, parseAddress } from './params.js';
import type { EmrChain } from './types.js';

export interface RecordInfo {
  id: bigint;
  patient: string;
  author: string;
  recordType: number;
  /** Current location (after re-keys). */
  cid: string;
  cidCodec: number;
  digest: string;
  /** The CID first registered, when a re-key replaced it. */
  originalCid: string | null;
  rekeyCount: number;
  /** Where the current ciphertext was registered (RecordAdded, or the last accepted re-key). */
  cidAt: { blockNumber: number; logIndex: number };
  blockNumber: number;
  txHash: string;
  /** Unix seconds of the block that added the record. */
  createdAt: number;
  /** The first accepted void (entered in error), or null (CONTRACT.md § Void and dispense). */
  voided: VoidInfo | null;
  /** Prescriptions only: the dispense, or null. */
  dispensed: DispenseInfo | null;
  /** The patient's tombstone, or null (CONTRACT.md § Erasure). */
  erased: EraseInfo | null;
  /** Every CID the record had before its current one, oldest first (re-keys). */
  pastCids: string[];
}

/** An accepted RecordErased: sent by the record's patient (CONTRACT.md § Erasure). */
export interface EraseInfo {
  by: string;
  /** As on chain: sealed to the patient (records/erase-reason.ts), or empty. Untrusted. */
  sealedReason: string;
  /** Unix seconds of the block. */
  at: number;
  blockNumber: number;
  txHash: string;
}

/** An accepted RecordVoided: `by` is the record's author or patient. */
export interface VoidInfo {
  by: string;
  /** As given, untrusted text: escape it before printing. At most 1,024 bytes (contract). */
  reason: string;
  /** Unix seconds of the block. */
  at: number;
  blockNumber: number;
  txHash: string;
}

/** An accepted PrescriptionDispensed. */
export interface DispenseInfo {
  by: string;
  at: number;
  blockNumber: number;
  txHash: string;
}

/** The events that change a registered record, all with (id, patient) as topics 1 and 2. */
const CHANGES = ['RecordRekeyed', 'RecordVoided', 'PrescriptionDispensed', 'RecordErased'] as const;
type ChangeEvent = ChainEvent<(typeof CHANGES)[number]>;
/**
 * The patient's prescription slot, for a reader who holds that patient's type key
 * (CONTRACT.md § Privacy); without it a dispense naming the record's own slot is accepted,
 * and whether the record is a prescription is for the reader who can open it to say.
 */
export type PrescriptionSlot = (patient: string) => number | undefined;
export interface RecordReadOptions {
  prescriptionSlot?: PrescriptionSlot;
}

function fromEvent(ev: ChainEvent<'RecordAdded'>): RecordInfo {
  const cidCodec = Number(ev.args[4]);
  const digest = ev.args[5].toLowerCase();
  return {
    id: ev.args[0],
    patient: ev.args[1],
    author: ev.args[2],
    recordType: Number(ev.args[3]),
    cid: partsToCid({ cidCodec, digest }),
    cidCodec,
    digest,
    originalCid: null,
    rekeyCount: 0,
    cidAt: { blockNumber: ev.blockNumber, logIndex: ev.logIndex },
    blockNumber: ev.blockNumber,
    txHash: ev.txHash,
    createdAt: 0,
    voided: null,
    dispensed: null,
    erased: null,
    pastCids: [],
  };
}

/** Whether `ev` comes after the record's own RecordAdded (same block: later in it). */
function after(ev: ChainEvent, rec: RecordInfo, addedIndex: Map<bigint, number>): boolean {
  return ev.blockNumber > rec.blockNumber || (ev.blockNumber === rec.blockNumber && ev.logIndex > (addedIndex.get(rec.id) ?? 0));
}

/** Applies re-keys, voids and dispenses in chain order; anything not accepted is ignored. */
function applyChanges(records: RecordInfo[], changes: ChangeEvent[], addedIndex: Map<bigint, number>, o: RecordReadOptions): void {
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const ev of changes) {
    const rec = byId.get(ev.args[0]);
    if (!rec || ev.args[1] !== rec.patient || !after(ev, rec, addedIndex)) continue;
    if (ev.name === 'RecordErased') {
      // The patient topic is the emitter: only the record's own patient tombstones it, once.
      if (!rec.erased) rec.erased = { by: ev.args[1], sealedReason: ev.args[2], at: 0, blockNumber: ev.blockNumber, txHash: ev.txHash };
    } else if (ev.name === 'RecordRekeyed') {
      // Only the record's own patient may re-key it (the patient topic is the emitter).
      rec.originalCid ??= rec.cid;
      rec.pastCids.push(rec.cid);
      rec.cidCodec = Number(ev.args[2]);
      rec.digest = ev.args[3].toLowerCase();
      rec.cid = partsToCid({ cidCodec: rec.cidCodec, digest: rec.digest });
      rec.rekeyCount += 1;
      rec.cidAt = { blockNumber: ev.blockNumber, logIndex: ev.logIndex };
    } else if (ev.name === 'RecordVoided') {
      const by = ev.args[2];
      // The author or the patient; the first accepted void counts, later ones change nothing.
      if (rec.voided || (by !== rec.author && by !== rec.patient)) continue;
      rec.voided = { by, reason: ev.args[3], at: 0, blockNumber: ev.blockNumber, txHash: ev.txHash };
    } else {
      // The contract stores one dispense per (patient, id, slot): the first naming the
      // record's own slot is the only one (a wrong slot blocks nothing, § Privacy).
      if (rec.dispensed || Number(ev.args[3]) !== rec.recordType) continue;
      const rx = o.prescriptionSlot?.(rec.patient);
      if (rx !== undefined && rx !== rec.recordType) continue;
      rec.dispensed = { by: ev.args[2], at: 0, blockNumber: ev.blockNumber, txHash: ev.txHash };
    }
  }
}

async function stamp(chain: EmrChain, records: RecordInfo[]): Promise<void> {
  const blocks: number[] = [];
  for (const r of records) {
    blocks.push(r.blockNumber);
    if (r.voided) blocks.push(r.voided.blockNumber);
    if (r.dispensed) blocks.push(r.dispensed.blockNumber);
    if (r.erased) blocks.push(r.erased.blockNumber);
  }
  const times = await blockTimes(chain, blocks);
  for (const r of records) {
    r.createdAt = times.get(r.blockNumber) ?? 0;
    if (r.voided) r.voided.at = times.get(r.voided.blockNumber) ?? 0;
    if (r.dispensed) r.dispensed.at = times.get(r.dispensed.blockNumber) ?? 0;
    if (r.erased) r.erased.at = times.get(r.erased.blockNumber) ?? 0;
  }
}

export async function getRecord(chain: EmrChain, id: bigint | number | string, o: RecordReadOptions = {}): Promise<RecordInfo> {
  const rid = checkId(id);
  const [added, changes] = await Promise.all([
    queryEvents(chain, { names: ['RecordAdded'], topics: [idTopic(rid)] }),
    queryEvents(chain, { names: CHANGES, topics: [idTopic(rid)] }),
  ]);
  const first = added[0];
  if (!first) throw new NotFoundError(`record ${rid} not found`, { hint: 'list records with `emr record list`' });
  const rec = fromEvent(first);
  applyChanges([rec], changes, new Map([[rec.id, first.logIndex]]), o);
  await stamp(chain, [rec]);
  return rec;
}

export async function listRecords(
  chain: EmrChain,
  params: { patient?: string; author?: string } & RecordReadOptions = {},
): Promise<RecordInfo[]> {
  const patient = params.patient ? addressTopic(parseAddress(params.patient, 'patient')) : null;
  const author = params.author ? addressTopic(parseAddress(params.author, 'author')) : null;
  const [added, changes] = await Promise.all([
    queryEvents(chain, { names: ['RecordAdded'], topics: [null, patient, author] }),
    queryEvents(chain, { names: CHANGES, topics: [null, patient] }),
  ]);
  const records = added.map(fromEvent);
  applyChanges(records, changes, new Map(added.map((e) => [e.args[0], e.logIndex])), params);
  await stamp(chain, records);
  return records;
}

/**
 * The accepted voids of a patient's records, by record id (for FHIR export, history and
 * show: CONTRACT.md § Void and dispense). One pass over the patient's records.
 */
export async function voidsOf(chain: EmrChain, patient: string): Promise<Map<string, VoidInfo>> {
  const out = new Map<string, VoidInfo>();
  for (const r of await listRecords(chain, { patient })) if (r.voided) out.set(r.id.toString(), r.voided);
  return out;
}
