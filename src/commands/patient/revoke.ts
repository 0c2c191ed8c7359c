/**
 * `emr revoke <provider> [--rekey]` (docs/CLI.md § Sharing; docs/SHARING.md § 3): ends the grant
 * on chain at once, and says honestly what the provider may still hold. `--rekey` re-encrypts
 * the records they could read under new file keys for everyone else who may read them.
 */
import { UsageError } from '../../errors.js';
import { SIGN_ONLY_OPTIONS, writeSignedAction } from '../signed-output.js';
import { defineCommand } from '../spec.js';
import { revokeOrg } from './org-sharing.js';
import { revokeView } from './revoke-view.js';

export const revoke = defineCommand({
  name: 'revoke',
  summary: 'end a provider’s access; --rekey re-encrypts what they could read',
  args: ['[provider]'],
  options: [
    {
      flags: '--rekey',
      description: 're-encrypt the records in the revoked scope under new keys (old copies stay readable to whoever kept them)',
    },
    { flags: '--org <org>', description: 'revoke an organisation (id or name) instead (docs/SHARING.md § 9)' },
    ...SIGN_ONLY_OPTIONS,
  ],
  async run(
    ctx,
    [who]: [string | undefined],
    opts: { rekey?: boolean; signOnly?: boolean; deadline: string; output?: string; org?: string },
  ) {
    if (opts.org !== undefined) {
      if (who || opts.signOnly)
        throw new UsageError('--org takes no provider and no --sign-only', { hint: 'emr revoke --org <org> [--rekey]' });
      return revokeOrg(ctx, opts.org, !!opts.rekey);
    }
    if (!who) throw new UsageError('name a provider (or --org <org>)', { hint: 'emr revoke <provider> [--rekey]' });
    const [{ openSession }, { parseExpiry }, flows] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/expiry.js'),
      import('../../records/revoke-access.js'),
    ]);
    if (opts.signOnly) {
      if (opts.rekey)
        throw new UsageError('--rekey cannot be relayed', {
          hint: 're-keying needs your own transactions; revoke with --sign-only, then `emr revoke --rekey` when you can pay gas',
        });
      const deadline = parseExpiry(opts.deadline, ctx.clock.now());
      const { provider, signed } = await flows.signRevokeFlow(await openSession(ctx, { unlock: true, chain: true }), who, deadline);
      const path = writeSignedAction(ctx, signed, opts.output);
      return {
        data: { provider, signed, path },
        view:
          path === '-'
            ? {}
            : {
                title: `Signed a revoke of ${ctx.label(provider)} (not sent)`,
                fields: [['file', path]],
                lines: ['Anyone can send it with `emr relay <file>`.'],
              },
      };
    }
    const s = await openSession(ctx, { signer: true, store: true });
    const { provider, ...res } = await flows.revokeAccessFlow(s, who, { rekey: !!opts.rekey });
    return {
      data: { provider, ...res },
      view: revokeView(ctx.label(provider), res, !!opts.rekey),
    };
  },
});
