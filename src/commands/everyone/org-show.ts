/** `emr org show <org>` (docs/CLI.md § Organisations): an organisation, its admins and members. */
import { defineCommand } from '../spec.js';

export const orgShow = defineCommand({
  name: 'show',
  summary: 'an organisation: its admins and members (current and former)',
  args: ['<org>'],
  async run(ctx, [org]: [string]) {
    const [{ openChainSession }, flows] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/org.js')]);
    const data = await flows.showOrgFlow(await openChainSession(ctx, { chain: true }), org);
    return {
      data,
      view: {
        title: `Organisation ${data.id}: ${data.name}`,
        fields: [
          ['created', data.createdAt],
          ['admins', data.admins.map((a) => ctx.label(a, 'withAddress')).join(', ') || '-'],
        ],
        table: {
          columns: ['member', 'department', 'joined', 'left'],
          rows: data.members.map((m) => [ctx.label(m.address, 'withAddress'), m.department, m.joinedAt, m.leftAt]),
        },
      },
    };
  },
});
