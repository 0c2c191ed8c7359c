/**
 * voidRecord: the record's author or patient marks it entered in error, with a reason
 * (CONTRACT.md § Void and dispense). The contract cannot see whose record an id is; readers
 * (records.ts) accept the void only from the record's author or patient.
 */
import { UsageError } from '../errors.js';
import { checkId, parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

/** The contract's MAX_REASON_LENGTH, in UTF-8 bytes. */
export const MAX_VOID_REASON_BYTES = 1024;

export async function voidRecord(
  chain: EmrChain,
  params: { id: bigint | number | string; patient: string; reason: string },
): Promise<SentTx> {
  const bytes = Buffer.byteLength(params.reason, 'utf8');
  if (params.reason.trim() === '' || bytes > MAX_VOID_REASON_BYTES) {
    throw new UsageError(`a reason of 1..${MAX_VOID_REASON_BYTES} bytes is required (got ${bytes})`, { hint: 'pass --reason <text>' });
  }
  const sent = await send(chain, 'voidRecord', [checkId(params.id), parseAddress(params.patient, 'patient'), params.reason]);
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed };
}
