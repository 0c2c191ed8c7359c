/**
 * `emr revoke <provider> [--rekey]`, the whole use case (docs/CLI.md § Sharing;
 * docs/SHARING.md § 3): end the grant on chain at once and say what the provider may still
 * hold; with --rekey re-encrypt what they could read; with --sign-only sign the revoke for
 * a relayer instead (docs/CONTRACT.md § Signed actions).
 */
import { revokeTerms, type SignedAction, signAction } from '../chain/signed-actions.js';
import { whois } from '../chain/whois.js';
import { AccessDeniedError } from '../errors.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { revokeAccess } from './share.js';
import { SignOnlyLog } from './sign-only-log.js';

/** `--sign-only`: the revoke signed offline, valid until `deadline` (unix seconds). */
export async function signRevokeFlow(
  s: With<'me' | 'chain'>,
  who: string,
  deadline: number,
): Promise<{ provider: string; signed: SignedAction }> {
  const provider = await resolveAddress(s.ctx, who);
  // Issue 20 point 2: names the slot's epoch and direct-grant count, not a nonce, so no
  // grant relayed first can cancel it (CONTRACT.md § Signed actions).
  const terms = await revokeTerms(s.chain, s.me.profile.address, provider);
  const signed = await signAction(await s.me.wallet(), {
    chainId: s.chain.chainId,
    contract: s.chain.address,
    nonce: 0n,
    deadline,
    action: { kind: 'revoke', provider, ...terms },
  });
  return { provider, signed };
}

export async function revokeAccessFlow(s: With<'me' | 'chain' | 'store'>, who: string, opts: { rekey: boolean }) {
  const provider = await resolveAddress(s.ctx, who);
  // The contract's revoke spends no gas on a role check (docs/CONTRACT.md); refuse here.
  if ((await whois(s.chain, s.me.profile.address)).role !== 'patient') {
    throw new AccessDeniedError('only a registered patient can revoke', {
      hint: 'grants belong to patients; run `emr register` as the patient',
    });
  }
  const res = await revokeAccess(
    { chain: s.chain, store: s.store, me: s.me, scratch: s.scratch, log: new SignOnlyLog(s.home, s.me) },
    provider,
    opts,
  );
  return { provider, ...res };
}
