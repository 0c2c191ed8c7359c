/** `emr admin add <address>` (docs/CLI.md § Network): an admin adds another admin. */
import { defineCommand } from '../spec.js';

export const adminAdd = defineCommand({
  name: 'add',
  summary: 'make an address an admin of the contract (admin)',
  args: ['<address>'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, admin] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/admin.js')]);
    const data = await admin.addAdminFlow(await openChainSession(ctx, { signer: true }), who);
    const label = ctx.label(data.account, 'withAddress');
    if (data.alreadyAdmin) return { data, view: { title: `${label} is already an admin` } };
    return { data, view: { title: `Added admin ${label}`, fields: [['tx', data.txHash]] } };
  },
});
