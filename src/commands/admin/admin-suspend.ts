/**
 * `emr admin suspend <provider>` (docs/CLI.md § Network): the provider can no longer add records,
 * request access, open emergencies or read through grants, until verified again.
 */
import { defineCommand } from '../spec.js';

export const adminSuspend = defineCommand({
  name: 'suspend',
  summary: 'suspend a provider (admin); `admin verify` lifts it',
  args: ['<provider>'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, admin] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/admin.js')]);
    const data = await admin.suspendProviderFlow(await openChainSession(ctx, { signer: true }), who);
    const label = ctx.label(data.provider, 'withAddress');
    if (data.alreadySuspended) return { data, view: { title: `${label} is already suspended` } };
    return {
      data,
      view: {
        title: `Suspended provider ${label}`,
        fields: [['tx', data.txHash]],
        lines: ['Keys already delivered to it stay readable in chain history; patients may re-key with `emr revoke --rekey`.'],
      },
    };
  },
});
