/** `emr key list` (docs/CLI.md § Identity): the local profiles; no unlock needed. */
import { defineCommand } from '../spec.js';

export const keyList = defineCommand({
  name: 'list',
  summary: 'list local identities',
  async run(ctx) {
    const def = ctx.config.get('defaultProfile');
    const profiles = ctx.profiles.list().map((p) => ({
      name: p.name,
      address: p.address,
      role: p.role,
      identityKind: p.identityKind,
      recipient: p.recipient,
      default: p.name === def,
    }));
    return {
      data: { profiles },
      view: {
        table: {
          columns: ['', 'NAME', 'ROLE', 'ADDRESS', 'RECIPIENT'],
          rows: profiles.map((p) => [p.default ? '*' : '', p.name, p.role, p.address, p.recipient.length > 70 ? p.recipient.slice(0, 40) + '…' : p.recipient]),
        },
      },
    };
  },
});
