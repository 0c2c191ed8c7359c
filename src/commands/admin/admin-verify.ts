/**
 * `emr admin verify <provider>` (docs/CLI.md § Network): an admin vouches for a self-registered
 * provider, who may then add records and open emergencies. Verifying twice is harmless.
 */
import { defineCommand } from '../spec.js';

export const adminVerify = defineCommand({
  name: 'verify',
  summary: 'verify a registered provider (admin)',
  args: ['<provider>'],
  examples: ['emr admin verify dr-bob', 'emr admin verify 0xAbc…'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, admin] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/admin.js')]);
    const d = await admin.verifyProviderFlow(await openChainSession(ctx, { signer: true }), who);
    const { wasSuspended, ...data } = d;
    const label = ctx.label(d.provider, 'withAddress');
    if (d.alreadyVerified) return { data, view: { title: `${label} is already verified` } };
    const lines = wasSuspended ? ['It was suspended; verifying lifts the suspension.'] : [];
    return { data, view: { title: `Verified provider ${label}`, fields: [['tx', d.txHash]], lines } };
  },
});
