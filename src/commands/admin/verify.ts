/**
 * `emr admin verify <provider>` (docs/CLI.md § Network): an admin vouches for a self-registered
 * provider, who may then add records and open emergencies. Verifying twice is harmless.
 */
import { defineCommand } from '../spec.js';
import { requireAdmin } from './require-admin.js';

export const verify = defineCommand({
  name: 'verify',
  summary: 'verify a registered provider (admin)',
  args: ['<provider>'],
  examples: ['emr admin verify dr-bob', 'emr admin verify 0xAbc…'],
  async run(ctx, [who]: [string]) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { whois } = await import('../../chain/whois.js');
    const { verifyProvider } = await import('../../chain/verify-provider.js');
    const provider = await resolveAddress(ctx, who);
    const chain = await chainFor(ctx, { signer: true });
    await requireAdmin(chain);
    const before = await whois(chain, provider);
    const name = ctx.profiles.byAddress(provider)?.name;
    const label = name ? `${provider} (${name})` : provider;
    if (before.verified) {
      return { data: { provider, verified: true, alreadyVerified: true, txHash: null }, view: { title: `${label} is already verified` } };
    }
    // Unregistered or patient accounts: the contract's NotProvider (exit 3) says why.
    const tx = await verifyProvider(chain, { provider });
    return {
      data: { provider, verified: true, alreadyVerified: false, txHash: tx.txHash },
      view: {
        title: `Verified provider ${label}`,
        fields: [['tx', tx.txHash]],
        lines: before.suspended ? ['It was suspended; verifying lifts the suspension.'] : [],
      },
    };
  },
});
