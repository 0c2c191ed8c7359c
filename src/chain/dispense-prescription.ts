/**
 * dispensePrescription: a verified provider the patient granted `prescription` marks it
 * dispensed, once (CONTRACT.md § Void and dispense). `dispensedOf` reads who and when.
 */
import { checkId, parseAddress } from './params.js';
import { read } from './read.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function dispensePrescription(chain: EmrChain, params: { id: bigint | number | string; patient: string }): Promise<SentTx> {
  const sent = await send(chain, 'dispensePrescription', [checkId(params.id), parseAddress(params.patient, 'patient')]);
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed };
}

const ZERO = '0x0000000000000000000000000000000000000000';

/** The dispense stored for (patient, id), or null. Readers still check the record is that patient's prescription. */
export async function dispensedOf(
  chain: EmrChain,
  patient: string,
  id: bigint | number | string,
): Promise<{ by: string; at: number } | null> {
  const [by, at] = await read(chain, 'dispensedOf', [parseAddress(patient, 'patient'), checkId(id)]);
  return by === ZERO ? null : { by, at: Number(at) };
}
