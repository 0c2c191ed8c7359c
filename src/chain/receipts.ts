/**
 * Read receipts checked against the records they name (CONTRACT.md § Read receipts).
 * `logAccess` takes the patient and type from the caller; the contract checks only that the
 * caller could read *that* (patient, type, id) at that moment. A receipt is consistent
 * when the record's own `RecordAdded` has the same patient and type and came first: then the
 * contract's check was about the real record, so the reader could read it at that block.
 * Anything else (another patient's record, a type the reader was not granted, an unknown
 * id) is a forged receipt and MUST NOT be shown as a read.
 *
 * Voids and dispenses are checked the same way (CONTRACT.md § Void and dispense): a void
 * counts only from the record's author or patient, a dispense only on that patient's
 * prescription; any other is flagged, never shown as done.
 */
import { type ChainEvent, idTopic, queryEvents } from './logs.js';
import type { EmrChain } from './types.js';

/** Ids per log query: bounds the topic list a node must accept. */
const IDS_PER_QUERY = 200;

/** The events checked against their record's RecordAdded. */
export const CHECKED: ReadonlySet<string> = new Set(['RecordAccessed', 'RecordVoided', 'PrescriptionDispensed', 'RecordErased']);

const before = (a: ChainEvent, b: ChainEvent) =>
  a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);

/** Why a receipt does not match its record, or null when it does. */
export type ReceiptProblem = string | null;

/**
 * For each `RecordAccessed` event (args: recordId, patient, reader, recordType), the
 * problem with it (null = consistent). One log query per 200 distinct ids.
 */
export async function checkReceipts(
  chain: EmrChain,
  receipts: readonly ChainEvent[],
  o: { prescriptionSlot?: (patient: string) => number | undefined } = {},
): Promise<Map<ChainEvent, ReceiptProblem>> {
  receipts = receipts.filter((e) => CHECKED.has(e.name));
  const ids = [...new Set(receipts.map((e) => BigInt(e.args[0] as bigint)))];
  const added = new Map<string, ChainEvent>();
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const topics = ids.slice(i, i + IDS_PER_QUERY).map(idTopic);
    const evs = await queryEvents(chain, { names: ['RecordAdded'], topics: [topics] });
    for (const e of evs) added.set(BigInt(e.args[0] as bigint).toString(), e);
  }
  const out = new Map<ChainEvent, ReceiptProblem>();
  for (const r of receipts) {
    const rec = added.get(BigInt(r.args[0] as bigint).toString());
    const patient = String(r.args[1]).toLowerCase();
    let problem: ReceiptProblem = null;
    if (!rec) problem = 'no such record';
    else if (String(rec.args[1]).toLowerCase() !== patient) problem = 'the record belongs to another patient';
    else if (r.name === 'RecordErased') {
      // CONTRACT.md § Erasure: the patient topic is the emitter; it must be the record's patient.
      if (!before(rec, r)) problem = 'the erasure predates the record';
    } else if (r.name === 'RecordVoided') {
      const by = String(r.args[2]).toLowerCase();
      if (by !== patient && by !== String(rec.args[2]).toLowerCase()) problem = 'the voider is neither its author nor its patient';
      else if (!before(rec, r)) problem = 'the void predates the record';
    } else if (r.name === 'PrescriptionDispensed') {
      // CONTRACT.md § Privacy: the dispense names the record's slot; only a holder of the
      // patient's type key knows whether that slot is the prescription slot.
      const rx = o.prescriptionSlot?.(patient);
      if (Number(r.args[3]) !== Number(rec.args[3]) || (rx !== undefined && rx !== Number(rec.args[3])))
        problem = 'the record is not a prescription';
    } else if (Number(rec.args[3]) !== Number(r.args[3] ?? -1))
      problem = `the record is a type ${Number(rec.args[3])} record, the receipt claims type ${Number(r.args[3] ?? -1)}`;
    else if (!before(rec, r)) problem = 'the receipt predates the record';
    out.set(r, problem);
  }
  return out;
}
