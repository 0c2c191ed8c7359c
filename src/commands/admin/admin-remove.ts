/**
 * `emr admin remove <address>` (docs/CLI.md § Network): an admin removes an admin (itself
 * included), never the last one (the contract's LastAdmin → exit 3).
 */
import { defineCommand } from '../spec.js';

export const adminRemove = defineCommand({
  name: 'remove',
  summary: 'remove an admin of the contract (admin; never the last one)',
  args: ['<address>'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, admin] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/admin.js')]);
    const data = await admin.removeAdminFlow(await openChainSession(ctx, { signer: true }), who);
    return { data, view: { title: `Removed admin ${ctx.label(data.account, 'withAddress')}`, fields: [['tx', data.txHash]] } };
  },
});
