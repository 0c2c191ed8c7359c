/**
 * Refuse early, with our own message, when the signing account is not an admin: before any
 * gas estimate, and before an "already done" short-cut would let a non-admin see exit 0.
 */
import { AccessDeniedError } from '../errors.js';
import type { EmrChain } from './types.js';
import { whois } from './whois.js';

export async function requireAdmin(chain: EmrChain, hint = 'ask an admin to run `emr admin add <your address>`'): Promise<string> {
  const me = await chain.signer!.getAddress();
  if (!(await whois(chain, me)).admin) throw new AccessDeniedError('not an admin of the contract', { hint, details: { account: me } });
  return me;
}
