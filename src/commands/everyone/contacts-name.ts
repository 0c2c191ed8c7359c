/** `emr contacts name <who> <name>` (docs/SHARING.md § 8.5): a local name for a remote party. */
import { defineCommand } from '../spec.js';

export const contactsName = defineCommand({
  name: 'name',
  summary: 'give a remote party a local name, shown beside its address and usable in its place',
  args: ['<who>', '<name>'],
  examples: ['emr contacts name 0xAbc… "Dr House"', 'emr grant "Dr House" --types lab --expires 30d'],
  async run(ctx, [who, name]: [string, string]) {
    const [{ openChainSession }, { nameContact }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/contacts-name.js'),
    ]);
    const data = await nameContact(await openChainSession(ctx, {}), who, name);
    return { data, view: { title: `${data.address} is now '${data.name}'`, fields: [['fingerprint', data.fingerprint]] } };
  },
});
