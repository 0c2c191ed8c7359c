/**
 * `emr revoke <provider> [--rekey]`, the whole use case (docs/CLI.md § Sharing;
 * docs/SHARING.md § 3): end the grant on chain at once and say what the provider may still
 * hold; with --rekey re-encrypt what they could read; with --sign-only sign the revoke for
 * a relayer instead (docs/CONTRACT.md § Signed actions).
 */
import { grantOf } from '../chain/grants.js';
import { addressTopic, queryEvents } from '../chain/logs.js';
import { checkReceipts } from '../chain/receipts.js';
import { listRecords } from '../chain/records.js';
import { revoke } from '../chain/revoke.js';
import { revokeTerms, type SignedAction, signAction } from '../chain/signed-actions.js';
import { whois } from '../chain/whois.js';
import { AccessDeniedError } from '../errors.js';
import type { Only, With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { exposedTo } from './exposure.js';
import { currentRecipients, type Rekeyed, rekeyRecords, type Skipped } from './rekey.js';
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
  const res = await revokeAccess(s, provider, opts);
  return { provider, ...res };
}

/**
 * `emr revoke` (docs/SHARING.md § 3): what the provider could read and fetched (found before
 * the revoke), the revoke itself, and with `rekey` a new key for every record whose current
 * ciphertext the provider may hold a key to (§ 3.5) — whatever their grant says now, and
 * including records a plain revoke or a stopped re-key left behind (§ 3.7): a retry re-keys
 * exactly what is still exposed. Record-scoped grants count only from the current epoch.
 */
export async function revokeAccess(s: Only<'home' | 'chain' | 'store' | 'me' | 'scratch'>, provider: string, opts: { rekey: boolean }) {
  const chain = s.chain;
  const patient = s.me.profile.address;
  // The patient's log of sign-only deliveries (SHARING.md § 2.7).
  const log = new SignOnlyLog(s.home, s.me);
  const grant = await grantOf(chain, patient, provider);
  const topics = [addressTopic(patient), addressTopic(provider)];
  const [reads, scoped] = await Promise.all([
    queryEvents(chain, { names: ['RecordAccessed'], topics: [null, ...topics], fromBlock: chain.fromBlock }),
    queryEvents(chain, { names: ['RecordsGranted'], topics, fromBlock: chain.fromBlock }),
  ]);
  // Only receipts that match their record count as reads (CONTRACT.md § Read receipts).
  const problems = await checkReceipts(chain, reads);
  const fetched = [...new Set(reads.filter((e) => !problems.get(e)).map((e) => (e.args[0] as bigint).toString()))];
  const scopedIds = new Set(scoped.filter((e) => Number(e.args[4]) === grant.epoch).flatMap((e) => (e.args[2] as bigint[]).map(String)));
  const tx = await revoke(chain, { provider });
  // § 2.7: the revoke voided every unrelayed sign-only grant to this provider (and others
  // may have expired): their deliveries leave the store now.
  const voidedDeliveries = await log.settle(chain, s.store);
  // Read after the revoke, so its Revoked event closes every window (exposure.ts).
  const all = await listRecords(chain, { patient });
  // § 3.5: what the chain shows, plus every sign-only delivery to them, relayed or not.
  const logged = await log.exposedTo(provider, all);
  const fromChain = new Set(await exposedTo(chain, patient, provider, all));
  const exposed = all.filter((r) => fromChain.has(r) || logged.has(r.id.toString()));
  const exposedSet = new Set(exposed);
  const couldRead = all.filter((r) => ((grant.readMask >>> r.recordType) & 1) === 1 || scopedIds.has(r.id.toString()) || exposedSet.has(r));
  let rekeyed: Rekeyed[] = [];
  let skipped: Skipped[] = [];
  const warnings: string[] = [];
  if (opts.rekey && exposed.length) {
    // After the revoke the provider is no longer a live reader, so the recipients of a new
    // record of that type are exactly right (§ 1: patient, live type readers, the emergency
    // key when the type is emergency-visible), plus the live record-scoped readers of that
    // record (§ 3.6), plus the author only while the author may still read it.
    const res = await rekeyRecords(s, exposed, await currentRecipients(s, patient, provider, warnings), {
      resumeHint: `the revoke itself was sent; run \`emr revoke ${provider} --rekey\` again when the chain and store answer: it re-keys only what is left`,
    });
    rekeyed = res.rekeyed;
    skipped = res.skipped;
  }
  return {
    txHash: tx.txHash,
    rekeyed,
    skipped,
    warnings,
    voidedDeliveries,
    stillHeld: {
      fetched,
      couldRead: couldRead.map((r) => r.id.toString()),
      note: 'copies the provider fetched, and keys delivered to them, cannot be recalled; re-keyed records no longer open with those keys',
    },
  };
}
