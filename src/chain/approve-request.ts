/** approveRequest: the request's patient creates or extends the provider's grant. */
import { checkBytes32, checkId, toUnixSeconds } from './params.js';
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
