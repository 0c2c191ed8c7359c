/**
 * `emr revoke <provider> [--rekey]` (docs/CLI.md § Sharing; docs/SHARING.md § 3): ends the grant
 * on chain at once, and says honestly what the provider may still hold. `--rekey` re-encrypts
 * the records they could read under new file keys for everyone else who may read them.
 */
import { AccessDeniedError, UsageError } from '../../errors.js';
import { SIGN_ONLY_OPTIONS } from '../signed-output.js';
import { defineCommand } from '../spec.js';

export const revoke = defineCommand({
  name: 'revoke',
  summary: 'end a provider’s access; --rekey re-encrypts what they could read',
  args: ['<provider>'],
  options: [{ flags: '--rekey', description: 're-encrypt the records in the revoked scope under new keys (old copies stay readable to whoever kept them)' }, ...SIGN_ONLY_OPTIONS],
  async run(ctx, [who]: [string], opts: { rekey?: boolean; signOnly?: boolean; deadline: string; output?: string }) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const provider = await resolveAddress(ctx, who);
    if (opts.signOnly) {
      if (opts.rekey) throw new UsageError('--rekey cannot be relayed', { hint: 're-keying needs your own transactions; revoke with --sign-only, then `emr revoke --rekey` when you can pay gas' });
      const { parseExpiry } = await import('../../records/expiry.js');
      const { unlock } = await import('../../session/unlock.js');
      const { chainFor } = await import('../../session/chain.js');
      const { nextNonce, signAction } = await import('../../chain/signed-actions.js');
      const me = await unlock(ctx);
      const chain = await chainFor(ctx);
      const deadline = parseExpiry(opts.deadline, ctx.clock.now());
      const signed = await signAction(await me.wallet(), { chainId: chain.chainId, contract: chain.address, nonce: await nextNonce(chain, me.profile.address), deadline, action: { kind: 'revoke', provider } });
      const { writeSignedAction } = await import('../signed-output.js');
      const path = writeSignedAction(ctx, signed, opts.output);
      return { data: { provider, signed, path }, view: path === '-' ? {} : { title: `Signed a revoke of ${ctx.profiles.byAddress(provider)?.name ?? provider} (not sent)`, fields: [['file', path]], lines: ['Anyone can send it with `emr relay <file>`.'] } };
    }
    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor, scratchDir } = await import('../../session/store.js');
    const share = await import('../../records/share.js');
    const me = await unlock(ctx);
    const patient = me.profile.address;
    const chain = await chainFor(ctx, { signer: true });
    // The contract's revoke spends no gas on a role check (docs/CONTRACT.md); refuse here.
    const { whois } = await import('../../chain/whois.js');
    if ((await whois(chain, patient)).role !== 'patient') {
      throw new AccessDeniedError('only a registered patient can revoke', { hint: 'grants belong to patients; run `emr register` as the patient' });
    }
    const store = await storeFor(ctx);
    const deps = { chain, store, me, scratch: await scratchDir(ctx) };
    const { txHash, rekeyed, skipped, warnings, stillHeld } = await share.revokeAccess(deps, provider, { rekey: !!opts.rekey });
    const name = ctx.profiles.byAddress(provider)?.name ?? provider;
    const { summariseIds } = await import('../id-summary.js');
    const rekeyedIds = rekeyed.map((r) => r.id);
    return {
      data: { provider, txHash, rekeyed, skipped, warnings, stillHeld },
      view: {
        title: `Revoked ${name}`,
        fields: [
          ['tx', txHash],
          ['records they could read', summariseIds(stillHeld.couldRead)],
          ['records they fetched', summariseIds(stillHeld.fetched)],
          ['re-keyed', opts.rekey ? summariseIds(rekeyedIds, 'nothing to re-key') : 'no (pass --rekey)'],
          ...(skipped.length ? [['not re-keyed', summariseIds(skipped.map((s) => s.id))] as [string, string]] : []),
        ],
        warnings: [
          ...(stillHeld.fetched.length ? [`${name} fetched ${stillHeld.fetched.length} record(s) before the revoke (${summariseIds(stillHeld.fetched)}): those copies cannot be recalled`] : []),
          ...(!opts.rekey && stillHeld.couldRead.length ? ['without --rekey, keys already delivered still open the current ciphertexts if the provider kept them'] : []),
          // SHARING.md § 3.7: what could not be opened is named, and a retry finishes the rest.
          ...skipped.slice(0, 5).map((s) => `record ${s.id} not re-keyed: ${s.reason}`),
          ...(skipped.length > 5 ? [`… and ${skipped.length - 5} more not re-keyed (use --json for all)`] : []),
          ...warnings,
        ],
      },
    };
  },
});
