/**
 * `emr org remove <org> <provider>` (docs/CLI.md § Organisations): an org admin removes a
 * member; it reads nothing added from then on through the org (CONTRACT.md § Organisations).
 */
import { defineCommand } from '../spec.js';

export const orgRemove = defineCommand({
  name: 'remove',
  summary: 'remove a member from an organisation (org admin)',
  args: ['<org>', '<provider>'],
  examples: ['emr org remove "St Elsewhere" dr-bob'],
  async run(ctx, [org, who]: [string, string]) {
    const [{ openChainSession }, flows] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/org.js')]);
    const data = await flows.removeMemberFlow(await openChainSession(ctx, { signer: true }), org, who);
    return {
      data,
      view: {
        title: `Removed ${ctx.label(data.provider, 'withAddress')} from organisation ${data.org}`,
        fields: [['tx', data.txHash]],
        lines: ['It reads nothing added from now on through this organisation; what it fetched before, it keeps.'],
      },
    };
  },
});
