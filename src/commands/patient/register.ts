/**
 * `emr register [--role patient|provider] [--name <display name>]` (docs/CLI.md § Network):
 * publish the acting profile's address, role and age recipient on chain.
 *
 * - Role default: the profile's role; an admin profile registers as a provider (admins
 *   act on the contract as admins; the only registrable roles are patient and provider).
 * - Registering again with the same key is harmless: no transaction, `alreadyRegistered`.
 *   A changed recipient re-registers (the contract rotates the key, keeps the role and
 *   a provider's verification).
 * - The contract never changes a role (RoleChange): refused here first, exit 3.
 * - `--name` is NOT published: the contract has no field for it, and a name beside an
 *   address on a public chain would be permanent personal data.
 */
import { AccessDeniedError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const register = defineCommand({
  name: 'register',
  summary: 'publish your address, role and encryption key on chain',
  options: [
    { flags: '--role <role>', description: 'patient or provider (default: the profile’s role; admin profiles register as provider)', choices: ['patient', 'provider'] },
    { flags: '--name <display name>', description: 'a display name (kept off chain: never published)' },
  ],
  examples: ['emr register', 'emr register --role provider --profile dr-bob'],
  async run(ctx, _args, opts: { role?: 'patient' | 'provider'; name?: string }) {
    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { whois } = await import('../../chain/whois.js');
    const { register: publish } = await import('../../chain/register.js');
    const me = await unlock(ctx);
    const role = opts.role ?? (me.profile.role === 'admin' ? 'provider' : me.profile.role);
    const notes: string[] = [];
    if (!opts.role && me.profile.role === 'admin') notes.push('admin profile: registered as a provider (pass --role to choose)');
    if (opts.name) notes.push('--name is not published: names on a public chain would be permanent personal data');
    // The recipient derived from the unlocked key, not the profile file's copy: it is what decrypts.
    const recipient = me.age.recipient;
    const address = me.profile.address;
    const chain = await chainFor(ctx, { signer: true });
    const before = await whois(chain, address);
    if (before.registered && before.role !== role) {
      throw new AccessDeniedError(`already registered as a ${before.role}`, {
        hint: 'the contract never changes a role; use a separate profile for each role',
        details: { address, registeredRole: before.role },
      });
    }
    const base = { address, role, recipient, displayName: opts.name ?? null };
    if (before.registered && before.recipient === recipient) {
      return {
        data: { ...base, txHash: null, alreadyRegistered: true, keyRotated: false, verified: before.verified },
        view: { title: `Already registered as a ${role}`, fields: [['address', address], ['recipient', recipient]], warnings: notes },
      };
    }
    const tx = await publish(chain, { role, recipient });
    const keyRotated = before.registered;
    const lines: string[] = [];
    if (keyRotated) lines.push('Your published encryption key changed: records encrypted to the old one stay readable only with the old key.');
    if (role === 'provider' && !before.verified) lines.push('Next: an admin verifies you with `emr admin verify ' + address + '`.');
    return {
      data: { ...base, txHash: tx.txHash, alreadyRegistered: false, keyRotated, verified: before.verified },
      view: {
        title: keyRotated ? `Re-registered as a ${role} with a new encryption key` : `Registered as a ${role}`,
        fields: [['address', address], ['recipient', recipient], ['tx', tx.txHash]],
        lines,
        warnings: notes,
      },
    };
  },
});
