/**
 * `emr revoke <provider> [--rekey]` (docs/CLI.md § Sharing; docs/SHARING.md § 3): ends the grant
 * on chain at once, and says honestly what the provider may still hold. `--rekey` re-encrypts
 * the records they could read under new file keys for everyone else who may read them.
 */
import { UsageError } from '../../errors.js';
import { summariseIds } from '../id-summary.js';
import { SIGN_ONLY_OPTIONS, writeSignedAction } from '../signed-output.js';
import { defineCommand } from '../spec.js';

export const revoke = defineCommand({
  name: 'revoke',
  summary: 'end a provider’s access; --rekey re-encrypts what they could read',
  args: ['<provider>'],
  options: [
    {
      flags: '--rekey',
      description: 're-encrypt the records in the revoked scope under new keys (old copies stay readable to whoever kept them)',
    },
    ...SIGN_ONLY_OPTIONS,
  ],
  async run(ctx, [who]: [string], opts: { rekey?: boolean; signOnly?: boolean; deadline: string; output?: string }) {
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
    const { provider, txHash, rekeyed, skipped, warnings, stillHeld } = await flows.revokeAccessFlow(s, who, { rekey: !!opts.rekey });
    const name = ctx.label(provider);
    return {
      data: { provider, txHash, rekeyed, skipped, warnings, stillHeld },
      view: {
        title: `Revoked ${name}`,
        fields: [
          ['tx', txHash],
          ['records they could read', summariseIds(stillHeld.couldRead)],
          ['records they fetched', summariseIds(stillHeld.fetched)],
          [
            're-keyed',
            opts.rekey
              ? summariseIds(
                  rekeyed.map((r) => r.id),
                  'nothing to re-key',
                )
              : 'no (pass --rekey)',
          ],
          ...(skipped.length ? [['not re-keyed', summariseIds(skipped.map((s) => s.id))] as [string, string]] : []),
        ],
        warnings: [
          ...(stillHeld.fetched.length
            ? [
                `${name} fetched ${stillHeld.fetched.length} record(s) before the revoke (${summariseIds(stillHeld.fetched)}): those copies cannot be recalled`,
              ]
            : []),
          ...(!opts.rekey && stillHeld.couldRead.length
            ? ['without --rekey, keys already delivered still open the current ciphertexts if the provider kept them']
            : []),
          // SHARING.md § 3.7: what could not be opened is named, and a retry finishes the rest.
          ...skipped.slice(0, 5).map((s) => `record ${s.id} not re-keyed: ${s.reason}`),
          ...(skipped.length > 5 ? [`… and ${skipped.length - 5} more not re-keyed (use --json for all)`] : []),
          ...warnings,
        ],
      },
    };
  },
});
