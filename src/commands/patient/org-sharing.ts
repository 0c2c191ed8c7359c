/**
 * `emr grant --org` and `emr revoke --org` (docs/CLI.md § Sharing; docs/SHARING.md § 9): the
 * org branch of the grant and revoke commands, kept here so each command stays one screen.
 */
import type { Context } from '../../context.js';
import type { CommandResult } from '../../output.js';
import { revokeView } from './revoke-view.js';

export async function grantToOrg(
  ctx: Context,
  who: string | undefined,
  opts: {
    org: string;
    department?: string;
    types?: string;
    records?: string;
    expires: string;
    write?: boolean;
    signOnly?: boolean;
    deadline: string;
  },
): Promise<CommandResult> {
  const [{ openSession }, { grantInput }, flows] = await Promise.all([
    import('../../session/index.js'),
    import('../../records/share.js'),
    import('../../records/grant-org.js'),
  ]);
  flows.checkOrgGrantOptions({ ...opts, ...(who ? { who } : {}) });
  const input = grantInput(opts.org, { ...opts, signOnly: false }, ctx.clock.now());
  const s = await openSession(ctx, { signer: true, store: true });
  const res = await flows.grantOrgFlow(s, { org: opts.org, department: opts.department, types: input.types, expiry: input.expiry });
  return {
    data: res,
    view: {
      title: `Granted organisation ${res.org}${res.department ? ` (${res.department})` : ''} access until ${res.expiresAt}`,
      fields: [
        ['types', res.types.join(',')],
        ['members now', res.members.map((m) => ctx.label(m)).join(', ') || 'none'],
        ['keys delivered', res.keysDelivered.length ? `${res.keysDelivered.length} existing record(s)` : 'none needed'],
        ['tx', res.txHash],
      ],
      lines: ['Members who join later read what is added after they join; members who leave read nothing added after.'],
      warnings: [...res.warnings, ...res.skipped.slice(0, 5).map((k) => `record ${k.id} skipped (its key was not delivered): ${k.reason}`)],
    },
  };
}

export async function revokeOrg(ctx: Context, org: string, rekey: boolean): Promise<CommandResult> {
  const [{ openSession }, { revokeOrgFlow }] = await Promise.all([import('../../session/index.js'), import('../../records/grant-org.js')]);
  const res = await revokeOrgFlow(await openSession(ctx, { signer: true, store: true }), org, { rekey });
  return { data: res, view: revokeView(`organisation ${res.org} (${res.members.length} member(s) ever)`, res, rekey) };
}
