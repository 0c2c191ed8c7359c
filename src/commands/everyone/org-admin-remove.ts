/**
 * `emr org admin remove <org> <account>` (docs/CLI.md § Organisations): the consortium
 * removes an organisation's admin (CONTRACT.md § Organisations, `setOrgAdmin`).
 */
import { defineCommand } from '../spec.js';

export const orgAdminRemove = defineCommand({
  name: 'remove',
  summary: 'remove an admin of an organisation (consortium admin)',
  args: ['<org>', '<account>'],
  examples: ['emr org admin remove "St Elsewhere" dr-bob'],
  async run(ctx, [org, who]: [string, string]) {
    const [{ openChainSession }, flows] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/org.js')]);
    const data = await flows.setOrgAdminFlow(await openChainSession(ctx, { signer: true }), org, who, false);
    const label = ctx.label(data.account, 'withAddress');
    if (!data.changed) return { data, view: { title: `${label} is not an admin of organisation ${data.org}` } };
    return {
      data,
      view: {
        title: `Removed ${label} as admin of organisation ${data.org}`,
        fields: [['tx', data.txHash]],
        lines: ["It can no longer add or remove the organisation's members; what it did stays on chain."],
      },
    };
  },
});
