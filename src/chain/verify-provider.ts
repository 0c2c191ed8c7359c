/** verifyProvider: an admin marks a self-registered provider as verified (CONTRACT.md § Functions). */
import { parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function verifyProvider(chain: EmrChain, params: { provider: string }): Promise<SentTx> {
  return send(chain, 'verifyProvider', [parseAddress(params.provider, 'provider')]);
}
