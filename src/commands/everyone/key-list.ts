/** `emr key list` (docs/CLI.md § Identity): the local profiles; no unlock needed (identity/key-list.ts). */
import { defineCommand } from '../spec.js';

export const keyList = defineCommand({
  name: 'list',
  summary: 'list local identities',
  async run(ctx) {
    const [{ openChainSession }, { listIdentities }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/key-list.js'),
    ]);
    const data = listIdentities(await openChainSession(ctx, {}));
    return {
      data,
      view: {
        table: {
          columns: ['', 'NAME', 'ROLE', 'ADDRESS', 'RECIPIENT'],
          rows: data.profiles.map((p) => [
            p.default ? '*' : '',
            p.name,
            p.role,
            p.address,
            p.recipient.length > 70 ? p.recipient.slice(0, 40) + '…' : p.recipient,
          ]),
        },
      },
    };
  },
});
