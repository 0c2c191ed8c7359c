/** addAdmin: an admin adds another admin (CONTRACT.md § Functions). */
import { parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function addAdmin(chain: EmrChain, params: { account: string }): Promise<SentTx> {
  return send(chain, 'addAdmin', [parseAddress(params.account, 'account')]);
}
