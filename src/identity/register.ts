/**
 * `emr register`, the whole use case (docs/CLI.md § Network): publish the acting profile's
 * address, role and age recipient on chain.
 *
 * - Role default: the profile's role; an admin profile registers as a provider (the only
 *   registrable roles are patient and provider).
 * - Registering again with the same key is harmless: no transaction, `alreadyRegistered`.
 *   A changed recipient re-registers (the contract rotates the key, keeps the role and a
 *   provider's verification).
 * - The contract never changes a role (RoleChange): refused here first, exit 3.
 * - The display name is NOT published: the contract has no field for it, and a name beside
 *   an address on a public chain would be permanent personal data.
 */
import { register as publish } from '../chain/register.js';
import { whois } from '../chain/whois.js';
import { AccessDeniedError } from '../errors.js';
import type { With } from '../session/index.js';

export async function registerFlow(s: With<'me' | 'chain'>, opts: { role?: 'patient' | 'provider' }) {
  const me = s.me;
  const role = opts.role ?? (me.profile.role === 'admin' ? 'provider' : me.profile.role);
  const notes: string[] = [];
  if (!opts.role && me.profile.role === 'admin') notes.push('admin profile: registered as a provider (pass --role to choose)');
  // The recipient derived from the unlocked key, not the profile file's copy: it is what decrypts.
  const recipient = me.age.recipient;
  const address = me.profile.address;
  const before = await whois(s.chain, address);
  if (before.registered && before.role !== role) {
    throw new AccessDeniedError(`already registered as a ${before.role}`, {
      hint: 'the contract never changes a role; use a separate profile for each role',
      details: { address, registeredRole: before.role },
    });
  }
  const base = { address, role, recipient };
  if (before.registered && before.recipient === recipient) {
    return { data: { ...base, txHash: null, alreadyRegistered: true, keyRotated: false, verified: before.verified }, notes };
  }
  const tx = await publish(s.chain, { role, recipient });
  return {
    data: { ...base, txHash: tx.txHash, alreadyRegistered: false, keyRotated: before.registered, verified: before.verified },
    notes,
  };
}
