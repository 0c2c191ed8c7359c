/**
 * `emr prescription dispense <id>`, the whole use case (docs/CLI.md § prescription dispense;
 * CONTRACT.md § Void and dispense): a verified provider whom the patient granted
 * `prescription` marks it dispensed, once. Checked before any gas: the record is a
 * prescription (exit 2), not voided (exit 3), not already dispensed (exit 3 naming who and
 * when). The contract makes the same once-only check atomically, so a race between two
 * pharmacists ends the same way (AlreadyDispensed, reworded here with who and when).
 */
import { dispensePrescription } from '../chain/dispense-prescription.js';
import { getRecord } from '../chain/records.js';
import { AccessDeniedError, EmrError, UsageError } from '../errors.js';
import type { With } from '../session/index.js';
import { slotsFor } from './type-keys.js';

const iso = (at: number) => new Date(at * 1000).toISOString().replace('.000Z', 'Z');

function alreadyDispensed(id: bigint, by: string, at: number, cause?: unknown): AccessDeniedError {
  return new AccessDeniedError(`prescription ${id} was already dispensed by ${by} at ${iso(at)}`, {
    hint: 'a prescription is dispensed once; ask the prescriber for a new one if more is needed',
    details: { dispensedBy: by, dispensedAt: at },
    cause,
  });
}

export interface DispenseResult {
  id: string;
  patient: string;
  prescriber: string;
  dispensedBy: string;
  dispensedAt: string;
  txHash: string;
  gasUsed: string;
}

export async function dispenseFlow(s: With<'me' | 'chain' | 'store'>, id: bigint): Promise<DispenseResult> {
  const first = await getRecord(s.chain, id);
  // The record's slot names a type only with the patient's key, which the dispenser's
  // grant delivered (CONTRACT.md § Privacy).
  const slots = await slotsFor(s, first.patient);
  if (!slots.known) {
    // Every grant by type delivers the key: without one, nothing of this patient's was granted.
    throw new AccessDeniedError('the patient has not granted you `prescription` for this record', {
      hint: 'ask the patient to `emr grant <you> --types prescription`',
    });
  }
  const rx = slots.slotOf('prescription');
  const rec = await getRecord(s.chain, id, { prescriptionSlot: () => rx });
  if (rec.recordType !== rx) {
    throw new UsageError(`record ${id} is a ${slots.display(rec.recordType)} record, not a prescription`, {
      hint: 'only prescription records are dispensed',
    });
  }
  if (rec.voided) {
    throw new AccessDeniedError(`prescription ${id} was voided (entered in error) by ${rec.voided.by}: do not dispense it`, {
      hint: 'ask the prescriber for a valid prescription',
      details: { voidedBy: rec.voided.by },
    });
  }
  if (rec.dispensed) throw alreadyDispensed(id, rec.dispensed.by, rec.dispensed.at);
  let tx: Awaited<ReturnType<typeof dispensePrescription>>;
  try {
    tx = await dispensePrescription(s.chain, { id, patient: rec.patient, slot: rec.recordType });
  } catch (e) {
    const d = e instanceof EmrError ? (e.details as { contractError?: string; args?: Record<string, unknown> } | undefined) : undefined;
    if (d?.contractError === 'AlreadyDispensed') throw alreadyDispensed(id, String(d.args?.[1]), Number(d.args?.[2]), e);
    throw e;
  }
  const block = await s.chain.provider.getBlock(tx.blockNumber);
  return {
    id: id.toString(),
    patient: rec.patient,
    prescriber: rec.author,
    dispensedBy: s.me.profile.address,
    dispensedAt: new Date((block?.timestamp ?? 0) * 1000).toISOString(),
    txHash: tx.txHash,
    gasUsed: tx.gasUsed.toString(),
  };
}
