/** `emr contacts [list]` (docs/CLI.md § contacts, docs/SHARING.md § 8): the pinned keys, offline. */
import type { Context } from '../../context.js';
import type { CommandResult } from '../../output.js';
import { defineCommand } from '../spec.js';

async function run(ctx: Context): Promise<CommandResult> {
  const [{ openChainSession }, { listContacts }] = await Promise.all([
    import('../../session/chain-session.js'),
    import('../../identity/contacts-list.js'),
  ]);
  const data = listContacts(await openChainSession(ctx, {}));
  return {
    data,
    view: {
      table: {
        columns: ['NAME', 'ADDRESS', 'FINGERPRINT', 'FIRST SEEN'],
        rows: data.contacts.map((c) => [c.name ?? c.profile ?? '-', c.address, c.fingerprint, c.acceptedAt ?? c.firstSeen]),
      },
      lines: data.contacts.length === 0 ? ['No contacts yet: a key is pinned the first time it is used (grant, record add, whois).'] : [],
    },
  };
}

export const contactsList = defineCommand({
  name: 'list',
  summary: 'list the pinned encryption keys of other parties',
  examples: ['emr contacts list', 'emr contacts --json'],
  run,
});

export { run as runContactsList };
