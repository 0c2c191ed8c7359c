/**
 * `emr org admin add <org> <account>` (docs/CLI.md § Organisations): the consortium
 * names an organisation's admin (CONTRACT.md § Organisations, `setOrgAdmin`).
 */
import { defineCommand } from '../spec.js';

export const orgAdminAdd = defineCommand({
  name: 'add',
  summary: 'make an account an admin of an organisation (consortium admin)',
  args: ['<org>', '<account>'],
  examples: ['emr org admin add "St Elsewhere" dr-bob'],
  async run(ctx, [org, who]: [string, string]) {
    const [{ openChainSession }, flows] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/org.js')]);
    const data = await flows.setOrgAdminFlow(await openChainSession(ctx, { signer: true }), org, who, true);
    const label = ctx.label(data.account, 'withAddress');
    if (!data.changed) return { data, view: { title: `${label} is already an admin of organisation ${data.org}` } };
    return {
      data,
      view: {
        title: `Made ${label} an admin of organisation ${data.org}`,
        fields: [['tx', data.txHash]],
        lines: ["It may now add and remove the organisation's members (`emr org add|remove`)."],
      },
    };
  },
});
