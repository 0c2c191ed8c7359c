/**
 * `emr admin emergency-recipient [age1…]` (docs/CLI.md § Network; docs/SHARING.md § 4): publish
 * the consortium's emergency recipient, which new records are also encrypted to so a
 * break-glass reader can be given access. Default: the acting admin profile's recipient.
 */
import { defineCommand } from '../spec.js';

export const adminEmergencyRecipient = defineCommand({
  name: 'emergency-recipient',
  summary: 'publish the consortium emergency encryption recipient (admin)',
  args: ['[recipient]'],
  examples: ['emr admin emergency-recipient', 'emr admin emergency-recipient age1…'],
  async run(ctx, [given]: [string | undefined]) {
    const [{ openChainSession }, admin] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/admin.js')]);
    const recipient = admin.checkRecipient(given ?? ctx.profile().recipient);
    const data = await admin.publishEmergencyRecipientFlow(await openChainSession(ctx, { signer: true }), recipient);
    if (data.alreadySet) return { data, view: { title: 'The emergency recipient is already this one' } };
    return {
      data,
      view: {
        title: 'Published the emergency recipient',
        fields: [
          ['recipient', recipient],
          ['tx', data.txHash],
        ],
        lines: ['Records added from now on are also encrypted to it; whoever holds its identity can open them in an emergency.'],
      },
    };
  },
});
