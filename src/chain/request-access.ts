/** requestAccess: a provider asks a patient for read access to types. */
import { UsageError } from '../errors.js';
import { checkMask, parseAddress } from './params.js';
import { eventOf, send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function requestAccess(
  chain: EmrChain,
  params: { patient: string; readMask: number; reason?: string },
): Promise<SentTx & { requestId: bigint }> {
  const readMask = checkMask(params.readMask, 'read types');
  if (readMask === 0) throw new UsageError('nothing to request', { hint: 'name at least one type with --types' });
  const sent = await send(chain, 'requestAccess', [parseAddress(params.patient, 'patient'), readMask, params.reason ?? '']);
  const requestId = eventOf(sent, 'AccessRequested').args[0];
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed, requestId };
}
