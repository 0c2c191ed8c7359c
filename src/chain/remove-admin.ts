/** removeAdmin: an admin removes an admin, never the last one (CONTRACT.md § Functions). */
import { parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function removeAdmin(chain: EmrChain, params: { account: string }): Promise<SentTx> {
  return send(chain, 'removeAdmin', [parseAddress(params.account, 'account')]);
}
