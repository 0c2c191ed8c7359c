/**
 * revoke: zero the provider's grant and bump the epoch, so its record-scoped grants and
 * any open emergency die too. What the provider already fetched it may keep: the records
 * flow offers re-keying (CONTRACT.md § Re-key).
 */
import { parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function revoke(chain: EmrChain, params: { provider: string }): Promise<SentTx> {
  return send(chain, 'revoke', [parseAddress(params.provider, 'provider')]);
}
