/**
 * `emr record void <id> --reason <text>`, the whole use case (docs/CLI.md § record void;
 * CONTRACT.md § Void and dispense): the record's author or patient marks it entered in error.
 * The contract cannot tell whose record an id is, so the refusals readers would apply are
 * made here, before any gas: only the author or the patient (else exit 3), and never a second
 * void of a voided record (exit 3 naming the first). The record's bytes stay.
 */
import { getRecord, type VoidInfo } from '../chain/records.js';
import { voidRecord } from '../chain/void-record.js';
import { AccessDeniedError } from '../errors.js';
import type { With } from '../session/index.js';
import { slotsFor } from './type-keys.js';

export interface VoidResult {
  id: string;
  patient: string;
  author: string;
  type: string;
  reason: string;
  voidedBy: string;
  txHash: string;
  gasUsed: string;
}

const when = (v: VoidInfo) => new Date(v.at * 1000).toISOString().replace('.000Z', 'Z');

export async function voidRecordFlow(s: With<'me' | 'chain'> & Partial<With<'store'>>, id: bigint, reason: string): Promise<VoidResult> {
  const me = s.me.profile.address;
  const rec = await getRecord(s.chain, id);
  if (me !== rec.author && me !== rec.patient) {
    throw new AccessDeniedError(`only record ${id}'s author or patient may void it`, {
      hint: `ask its author (${rec.author}) or the patient (${rec.patient})`,
      details: { author: rec.author, patient: rec.patient },
    });
  }
  if (rec.voided) {
    throw new AccessDeniedError(`record ${id} is already voided (by ${rec.voided.by} at ${when(rec.voided)})`, {
      hint: 'a void is final and cannot be voided again; see `emr audit --patient …` for its reason',
      details: { voidedBy: rec.voided.by, voidedAt: rec.voided.at, voidTx: rec.voided.txHash },
    });
  }
  const tx = await voidRecord(s.chain, { id, patient: rec.patient, reason });
  return {
    id: id.toString(),
    patient: rec.patient,
    author: rec.author,
    type: (await slotsFor(s, rec.patient)).display(rec.recordType),
    reason,
    voidedBy: me,
    txHash: tx.txHash,
    gasUsed: tx.gasUsed.toString(),
  };
}
