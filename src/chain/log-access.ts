/** logAccess: a read receipt, allowed only to someone who may read the record now. */
import { checkId, checkRecordType, parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function logAccess(
  chain: EmrChain,
  params: { recordId: bigint | number; patient: string; recordType: number },
): Promise<SentTx> {
  return send(chain, 'logAccess', [checkId(params.recordId), parseAddress(params.patient, 'patient'), checkRecordType(params.recordType)]);
}
