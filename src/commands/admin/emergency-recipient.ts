/**
 * `emr admin emergency-recipient [age1…]` (docs/CLI.md § Network; docs/SHARING.md § 4): publish
 * the consortium's emergency recipient, which new records are also encrypted to so a
 * break-glass reader can be given access. Default: the acting admin profile's recipient.
 */
import { defineCommand } from '../spec.js';
import { requireAdmin } from './require-admin.js';

export const emergencyRecipientCommand = defineCommand({
  name: 'emergency-recipient',
  summary: 'publish the consortium emergency encryption recipient (admin)',
  args: ['[recipient]'],
  examples: ['emr admin emergency-recipient', 'emr admin emergency-recipient age1…'],
  async run(ctx, [given]: [string | undefined]) {
    const { parseRecipient } = await import('../../crypto/identity.js');
    const { chainFor } = await import('../../session/chain.js');
    const { emergencyRecipient } = await import('../../records/emergency-recipient.js');
    const { setEmergencyRecipient } = await import('../../chain/set-emergency-recipient.js');
    const recipient = (given ?? ctx.profile().recipient).trim();
    parseRecipient(recipient); // a malformed recipient is a usage error (exit 2), before any gas
    const chain = await chainFor(ctx, { signer: true });
    await requireAdmin(chain);
    if ((await emergencyRecipient(chain)) === recipient) {
      return { data: { recipient, alreadySet: true, txHash: null }, view: { title: 'The emergency recipient is already this one' } };
    }
    const tx = await setEmergencyRecipient(chain, { recipient });
    return {
      data: { recipient, alreadySet: false, txHash: tx.txHash },
      view: {
        title: 'Published the emergency recipient',
        fields: [
          ['recipient', recipient],
          ['tx', tx.txHash],
        ],
        lines: ['Records added from now on are also encrypted to it; whoever holds its identity can open them in an emergency.'],
      },
    };
  },
});
