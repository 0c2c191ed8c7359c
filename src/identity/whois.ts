/**
 * `emr whois <who>`, the use case (docs/CLI.md § Network): an account's role, verification,
 * published key. An unregistered address is an answer (`registered: false`); an unknown
 * profile name is exit 7 (resolveAddress).
 */
import { whoisForEncryption as lookup } from '../chain/whois.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';

export async function whoisFlow(s: With<'chain'>, who: string) {
  const address = await resolveAddress(s.ctx, who);
  const info = await lookup(s.chain, address);
  return {
    address,
    registered: info.registered,
    role: info.role,
    verified: info.verified,
    recipient: info.recipient,
    suspended: info.suspended,
    admin: info.admin,
    profile: s.ctx.label(address, 'profile'),
    contactName: s.ctx.label(address, 'contact'),
    keyUpdatedAt: info.keyUpdatedAt ? new Date(info.keyUpdatedAt * 1000).toISOString() : null,
  };
}
