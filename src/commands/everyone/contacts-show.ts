/** `emr contacts show <who>` (docs/CLI.md § contacts): one pinned key, offline. */
import { defineCommand } from '../spec.js';

export const contactsShow = defineCommand({
  name: 'show',
  summary: 'show the key pinned for an address (or contact name)',
  args: ['<who>'],
  examples: ['emr contacts show 0xAbc…', 'emr contacts show "Dr House" --json'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, { showContact }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/contacts-list.js'),
    ]);
    const data = await showContact(await openChainSession(ctx, {}), who);
    return {
      data,
      view: {
        title: ctx.label(data.address, 'withAddress'),
        fields: [
          ['name', data.name],
          ['fingerprint', data.fingerprint],
          ['recipient', data.recipient],
          ['first seen', data.firstSeen],
          ['accepted', data.acceptedAt],
        ],
      },
    };
  },
});
