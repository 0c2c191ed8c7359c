/**
 * `emr admin suspend <provider>` (docs/CLI.md § Network): the provider can no longer add records,
 * request access, open emergencies or read through grants, until verified again.
 */
import { defineCommand } from '../spec.js';
import { requireAdmin } from './require-admin.js';

export const suspend = defineCommand({
  name: 'suspend',
  summary: 'suspend a provider (admin); `admin verify` lifts it',
  args: ['<provider>'],
  async run(ctx, [who]: [string]) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { whois } = await import('../../chain/whois.js');
    const { suspendProvider } = await import('../../chain/suspend-provider.js');
    const provider = await resolveAddress(ctx, who);
    const chain = await chainFor(ctx, { signer: true });
    await requireAdmin(chain);
    const name = ctx.profiles.byAddress(provider)?.name;
    const label = name ? `${provider} (${name})` : provider;
    if ((await whois(chain, provider)).suspended) {
      return {
        data: { provider, suspended: true, alreadySuspended: true, txHash: null },
        view: { title: `${label} is already suspended` },
      };
    }
    const tx = await suspendProvider(chain, { provider });
    return {
      data: { provider, suspended: true, alreadySuspended: false, txHash: tx.txHash },
      view: {
        title: `Suspended provider ${label}`,
        fields: [['tx', tx.txHash]],
        lines: ['Keys already delivered to it stay readable in chain history; patients may re-key with `emr revoke --rekey`.'],
      },
    };
  },
});
