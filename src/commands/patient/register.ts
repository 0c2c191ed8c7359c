/**
 * `emr register [--role patient|provider]` (docs/CLI.md § Network):
 * publish the acting profile's address, role and age recipient on chain.
 *
 * - Role default: the profile's role; an admin profile registers as a provider (admins
 *   act on the contract as admins; the only registrable roles are patient and provider).
 * - Registering again with the same key is harmless: no transaction, `alreadyRegistered`.
 *   A changed recipient re-registers (the contract rotates the key, keeps the role and
 *   a provider's verification).
 * - The contract never changes a role (RoleChange): refused here first, exit 3.
 * - `--name` is refused (exit 2, before anything is sent; issue 22 point 10): it was accepted
 *   and ignored. A name beside an address on a public chain would be permanent personal
 *   data, so none is published; the option stays (hidden) only to say so clearly.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const register = defineCommand({
  name: 'register',
  summary: 'publish your address, role and encryption key on chain',
  options: [
    {
      flags: '--role <role>',
      description: 'patient or provider (default: the profile’s role; admin profiles register as provider)',
      choices: ['patient', 'provider'],
    },
    { flags: '--name <display name>', description: 'refused: no display name is published', hidden: true },
  ],
  examples: ['emr register', 'emr register --role provider --profile dr-bob'],
  async run(ctx, _args, opts: { role?: 'patient' | 'provider'; name?: string }) {
    if (opts.name !== undefined)
      throw new UsageError(
        'register --name is not supported: no display name is published (a name beside an address on a public chain is permanent personal data)',
        {
          hint: 'drop --name; locally you are your profile name (`emr key list`), and others name your address on their own machine',
        },
      );
    const [{ openChainSession }, { registerFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/register.js'),
    ]);
    const { data, notes } = await registerFlow(await openChainSession(ctx, { signer: true }), {
      ...(opts.role ? { role: opts.role } : {}),
    });
    const { address, role, recipient, txHash, keyRotated } = data;
    if (!txHash)
      return {
        data,
        view: {
          title: `Already registered as a ${role}`,
          fields: [
            ['address', address],
            ['recipient', recipient],
          ],
          warnings: notes,
        },
      };
    const lines: string[] = [];
    if (keyRotated)
      lines.push('Your published encryption key changed: records encrypted to the old one stay readable only with the old key.');
    if (role === 'provider' && !data.verified) lines.push('Next: an admin verifies you with `emr admin verify ' + address + '`.');
    return {
      data,
      view: {
        title: keyRotated ? `Re-registered as a ${role} with a new encryption key` : `Registered as a ${role}`,
        fields: [
          ['address', address],
          ['recipient', recipient],
          ['tx', txHash],
        ],
        lines,
        warnings: notes,
      },
    };
  },
});
