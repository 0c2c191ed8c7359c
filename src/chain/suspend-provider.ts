/** suspendProvider: an admin suspends a provider (it can neither add nor read) (CONTRACT.md § Functions). */
import { parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function suspendProvider(chain: EmrChain, params: { provider: string }): Promise<SentTx> {
  return send(chain, 'suspendProvider', [parseAddress(params.provider, 'provider')]);
}
