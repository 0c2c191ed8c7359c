/**
 * `emr contacts accept <who>` (docs/SHARING.md § 8.3): pin the key the chain shows now, after
 * checking out of band that the party really changed it.
 */
import { defineCommand } from '../spec.js';

export const contactsAccept = defineCommand({
  name: 'accept',
  summary: 'accept the key the chain now shows for an address (after checking it with them)',
  args: ['<who>'],
  examples: ['emr contacts accept 0xAbc…', 'emr contacts accept 0xAbc… --rpc-url https://a.example --rpc-url https://b.example'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, { acceptContact }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/contacts-accept.js'),
    ]);
    const data = await acceptContact(await openChainSession(ctx, { chain: true }), who);
    return {
      data,
      view: {
        title: data.changed
          ? `Accepted a new key for ${ctx.label(data.address, 'withAddress')}`
          : `Pinned the key of ${ctx.label(data.address, 'withAddress')}`,
        fields: [
          ['fingerprint', data.fingerprint],
          ['replaces', data.changed ? data.previous?.fingerprint : null],
        ],
      },
    };
  },
});
