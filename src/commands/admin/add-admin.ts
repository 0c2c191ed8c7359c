/** `emr admin add <address>` (docs/CLI.md § Network): an admin adds another admin. */
import { defineCommand } from '../spec.js';
import { requireAdmin } from './require-admin.js';

export const addAdminCommand = defineCommand({
  name: 'add',
  summary: 'make an address an admin of the contract (admin)',
  args: ['<address>'],
  async run(ctx, [who]: [string]) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { whois } = await import('../../chain/whois.js');
    const { addAdmin } = await import('../../chain/add-admin.js');
    const account = await resolveAddress(ctx, who);
    const chain = await chainFor(ctx, { signer: true });
    await requireAdmin(chain, 'only an admin can add admins');
    const label = ctx.profiles.byAddress(account)?.name ? `${account} (${ctx.profiles.byAddress(account)!.name})` : account;
    if ((await whois(chain, account)).admin) {
      return { data: { account, admin: true, alreadyAdmin: true, txHash: null }, view: { title: `${label} is already an admin` } };
    }
    const tx = await addAdmin(chain, { account });
    return {
      data: { account, admin: true, alreadyAdmin: false, txHash: tx.txHash },
      view: { title: `Added admin ${label}`, fields: [['tx', tx.txHash]] },
    };
  },
});
