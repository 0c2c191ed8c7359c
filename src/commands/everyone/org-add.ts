/**
 * `emr org add <org> <provider> [--department <d>]` (docs/CLI.md § Organisations): an org
 * admin adds a verified provider (again: moves it to another department).
 */
import { defineCommand } from '../spec.js';

export const orgAdd = defineCommand({
  name: 'add',
  summary: 'add a verified provider to an organisation (org admin)',
  args: ['<org>', '<provider>'],
  options: [{ flags: '--department <d>', description: 'the department (public, like the org name: name places, not specialties)' }],
  examples: ['emr org add "St Elsewhere" dr-bob --department "ward 3"'],
  async run(ctx, [org, who]: [string, string], opts: { department?: string }) {
    const [{ openChainSession }, flows] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/org.js')]);
    const data = await flows.addMemberFlow(await openChainSession(ctx, { signer: true }), org, who, opts.department);
    return {
      data,
      view: {
        title: `Added ${ctx.label(data.provider, 'withAddress')} to organisation ${data.org}`,
        fields: [
          ['department', data.department],
          ['tx', data.txHash],
        ],
      },
    };
  },
});
