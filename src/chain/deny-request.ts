/** denyRequest: the request's patient refuses it; a decided request stays decided. */
import { checkId } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function denyRequest(chain: EmrChain, params: { requestId: bigint | number }): Promise<SentTx> {
  return send(chain, 'denyRequest', [checkId(params.requestId, 'request id')]);
}
