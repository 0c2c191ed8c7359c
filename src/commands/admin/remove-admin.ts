/**
 * `emr admin remove <address>` (docs/CLI.md § Network): an admin removes an admin (itself
 * included), never the last one (the contract's LastAdmin → exit 3).
 */
import { NotFoundError } from '../../errors.js';
import { defineCommand } from '../spec.js';
import { requireAdmin } from './require-admin.js';

export const removeAdminCommand = defineCommand({
  name: 'remove',
  summary: 'remove an admin of the contract (admin; never the last one)',
  args: ['<address>'],
  async run(ctx, [who]: [string]) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { whois } = await import('../../chain/whois.js');
    const { removeAdmin } = await import('../../chain/remove-admin.js');
    const account = await resolveAddress(ctx, who);
    const chain = await chainFor(ctx, { signer: true });
    await requireAdmin(chain, 'only an admin can remove admins');
    if (!(await whois(chain, account)).admin) {
      throw new NotFoundError(`${account} is not an admin`, { hint: 'see the admins in `emr audit` (admin-added events)' });
    }
    const tx = await removeAdmin(chain, { account });
    const name = ctx.profiles.byAddress(account)?.name;
    return {
      data: { account, admin: false, txHash: tx.txHash },
      view: { title: `Removed admin ${name ? `${account} (${name})` : account}`, fields: [['tx', tx.txHash]] },
    };
  },
});
