/**
 * Shared by the admin commands (not a command): refuse early, with our own message, when
 * the acting account is not an admin — before any gas estimate, and before "already done"
 * short-cuts that would otherwise let a non-admin see exit 0.
 */

import type { EmrChain } from '../../chain/types.js';
import { AccessDeniedError } from '../../errors.js';

export async function requireAdmin(chain: EmrChain, hint = 'ask an admin to run `emr admin add <your address>`'): Promise<string> {
  const { whois } = await import('../../chain/whois.js');
  const me = await chain.signer!.getAddress();
  if (!(await whois(chain, me)).admin) throw new AccessDeniedError('not an admin of the contract', { hint, details: { account: me } });
  return me;
}
