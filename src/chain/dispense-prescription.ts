/**
 * dispensePrescription: a verified provider whose read grant covers the record's slot marks
 * it dispensed, once (CONTRACT.md § Void and dispense, § Privacy). The slot is the record's
 * own (public in its RecordAdded); readers count a dispense only when it names that slot and
 * the slot is the patient's prescription slot. `dispensedOf` reads who and when.
 */
import { checkId, checkRecordType, parseAddress } from './params.js';
import { read } from './read.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function dispensePrescription(
  chain: EmrChain,
  params: { id: bigint | number | string; patient: string; slot: number },
): Promise<SentTx> {
  const sent = await send(chain, 'dispensePrescription', [
    checkId(params.id),
    parseAddress(params.patient, 'patient'),
    checkRecordType(params.slot),
  ]);
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed };
}

const ZERO = '0x0000000000000000000000000000000000000000';

/** The dispense stored for (patient, id, slot), or null. Readers still check the record is that patient's prescription. */
export async function dispensedOf(
  chain: EmrChain,
  patient: string,
  id: bigint | number | string,
  slot: number,
): Promise<{ by: string; at: number } | null> {
  const [by, at] = await read(chain, 'dispensedOf', [parseAddress(patient, 'patient'), checkId(id), checkRecordType(slot)]);
  return by === ZERO ? null : { by, at: Number(at) };
}
