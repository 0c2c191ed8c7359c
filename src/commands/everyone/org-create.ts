/**
 * `emr org create <name> --admin <who>…` (docs/CLI.md § Organisations): the consortium
 * registers an organisation and its admins. The name is public on chain (CONTRACT.md
 * § Organisations): a hospital's name, never a patient's or a clinical category.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const orgCreate = defineCommand({
  name: 'create',
  summary: 'register an organisation and its admins (consortium admin)',
  args: ['<name>'],
  options: [{ flags: '--admin <who>', description: 'an org admin (address or profile; repeat for several, 1..16)', repeatable: true }],
  examples: ['emr org create "St Elsewhere" --admin grey'],
  async run(ctx, [name]: [string], opts: { admin?: string[] }) {
    if (!opts.admin?.length) throw new UsageError('an organisation needs an admin', { hint: 'pass --admin <who> (repeatable)' });
    const [{ openChainSession }, flows] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/org.js')]);
    const data = await flows.createOrgFlow(await openChainSession(ctx, { signer: true }), name, opts.admin);
    return {
      data,
      view: {
        title: `Registered organisation ${data.org}: ${data.name}`,
        fields: [
          ['admins', data.admins.map((a) => ctx.label(a, 'withAddress')).join(', ')],
          ['tx', data.txHash],
        ],
      },
    };
  },
});
