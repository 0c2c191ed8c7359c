/** approveRequest: the request's patient creates or extends the provider's grant. */
import { checkBytes32, checkId, checkMask, toUnixSeconds } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function approveRequest(
  chain: EmrChain,
  params: { requestId: bigint | number; expiry: Date | number | bigint; keyDelivery?: string },
): Promise<SentTx> {
  return send(chain, 'approveRequest', [
    checkId(params.requestId, 'request id'),
    toUnixSeconds(params.expiry),
    checkBytes32(params.keyDelivery, 'key delivery digest'),
  ]);
}

/** approveRequestAs: approve with the read slots the patient chooses (CONTRACT.md § Privacy). */
export async function approveRequestAs(
  chain: EmrChain,
  params: { requestId: bigint | number; readMask: number; expiry: Date | number | bigint; keyDelivery?: string },
): Promise<SentTx> {
  return send(chain, 'approveRequestAs', [
    checkId(params.requestId, 'request id'),
    checkMask(params.readMask, 'read types'),
    toUnixSeconds(params.expiry),
    checkBytes32(params.keyDelivery, 'key delivery digest'),
  ]);
}
