/**
 * `emr grant <provider> [--types a,b] [--records id,id] [--expires 30d|<ISO>] [--write]`
 * (docs/CLI.md § Sharing): the patient lets a provider read records of these types (and/or these
 * records) until the expiry; the keys of existing records in scope are delivered to the
 * provider alone (docs/SHARING.md § 2). `--write` also lets a verified provider add records
 * of those types for the patient.
 */
import { UsageError } from '../../errors.js';
import { SIGN_ONLY_OPTIONS, writeSignedAction } from '../signed-output.js';
import { defineCommand } from '../spec.js';
import { grantList } from './grant-list.js';
import { grantView } from './grant-view.js';
import { grantToOrg } from './org-sharing.js';

export const grant = defineCommand({
  name: 'grant',
  summary: 'let a provider read your records of some types (or some records) until a date',
  args: ['[provider]'],
  options: [
    { flags: '--types <types>', description: 'comma-separated record types, or "all"' },
    { flags: '--records <ids>', description: 'comma-separated record ids' },
    { flags: '--expires <when>', description: 'a duration (30d, 12h, 2w, 1y) or an ISO date', default: '90d' },
    { flags: '--write', description: 'also allow adding records of these types (verified providers only)' },
    { flags: '--org <org>', description: 'grant an organisation (id or name) instead: its members read (docs/SHARING.md § 9)' },
    { flags: '--department <d>', description: 'with --org: only this department of it' },
    ...SIGN_ONLY_OPTIONS,
  ],
  examples: [
    'emr grant dr-bob --types lab,imaging --expires 30d',
    'emr grant --org "St Elsewhere" --department "ward 3" --types lab --expires 1y',
    'emr grant 0xPharmacy… --records 12 --expires 7d',
    'emr grant list',
  ],
  subcommands: [grantList],
  async run(
    ctx,
    [who]: [string | undefined],
    opts: { types?: string; records?: string; expires: string; write?: boolean; signOnly?: boolean; deadline: string; output?: string } & {
      org?: string;
      department?: string;
    },
  ) {
    if (opts.org !== undefined) return grantToOrg(ctx, who, { ...opts, org: opts.org });
    if (!who || opts.department !== undefined)
      throw new UsageError(who ? '--department needs --org' : 'name a provider (or --org <org>)', {
        hint: 'emr grant <provider> --types …',
      });
    const [{ openSession }, { grantInput, grantAccessFlow }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/share.js'),
    ]);
    const input = grantInput(who, opts, ctx.clock.now());
    // Signing offline needs only reads (nonce, records to deliver keys for): no gas, no funds.
    const s = await openSession(ctx, { unlock: true, chain: true, signer: !input.signOnly, store: true });
    const res = await grantAccessFlow(s, input);
    const name = ctx.label(res.provider);
    if (res.signed) {
      const path = writeSignedAction(ctx, res.signed, opts.output);
      return {
        data: { ...res, path },
        view:
          path === '-'
            ? {}
            : {
                title: `Signed a grant for ${name} (not sent)`,
                fields: [
                  ['file', path],
                  ['grant expires', res.expiresAt],
                  ['send it before', new Date(input.signOnly!.deadline * 1000).toISOString()],
                ],
                lines: ['Anyone can send it with `emr relay <file>`; you pay no gas.'],
              },
      };
    }
    return { data: res, view: grantView(name, input, res) };
  },
});
