/** addAdmin: an admin adds another admin (CONTRACT.md § Functions). */
import { ZeroAddress } from 'ethers/constants';
import { UsageError } from '../errors.js';
import { parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function addAdmin(chain: EmrChain, params: { account: string }): Promise<SentTx> {
  const account = parseAddress(params.account, 'account');
  // The contract refuses it too (ZeroAddress): nobody holds that key, and counting it as an
  // admin would let the last real admin remove itself (CONTRACT.md § Functions).
  if (account === ZeroAddress) throw new UsageError('the zero address cannot be an admin', { hint: 'name a real account' });
  return send(chain, 'addAdmin', [account]);
}
