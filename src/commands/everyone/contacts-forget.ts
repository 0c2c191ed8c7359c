/** `emr contacts forget <who>` (docs/SHARING.md § 8.1): remove a contact; its next key is pinned anew. */
import { defineCommand } from '../spec.js';

export const contactsForget = defineCommand({
  name: 'forget',
  summary: 'remove a contact (the next key seen for it is pinned anew)',
  args: ['<who>'],
  examples: ['emr contacts forget 0xAbc…'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, { forgetContact }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/contacts-forget.js'),
    ]);
    const data = await forgetContact(await openChainSession(ctx, {}), who);
    return { data, view: { title: `Forgot ${data.forgotten.address}`, fields: [['fingerprint', data.forgotten.fingerprint]] } };
  },
});
