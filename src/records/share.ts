/**
 * Grants and revocation (docs/CLI.md § Sharing; docs/SHARING.md § 2–3).
 *
 * Grant: the patient delivers the file keys of the existing records in scope to the grantee
 * in a key-delivery object (age-encrypted to the grantee only, stored on IPFS, its digest in
 * the grant transaction); records added later while the grant is live are encrypted to the
 * grantee directly by `record add`.
 *
 * Revoke: the chain stops future access at once. What the provider already fetched, or the
 * keys already delivered to them, cannot be recalled — the result says so honestly.
 * `--rekey` re-encrypts the in-scope records under new file keys for the remaining readers
 * (the signed bundle inside is unchanged) and points the chain at the new CIDs, so the
 * revoked provider's keys no longer open what the chain points to.
 */

import { grant } from '../chain/grant.js';
import { grantRecords } from '../chain/grant-records.js';
import { grantOf } from '../chain/grants.js';
import { addressTopic, queryEvents } from '../chain/logs.js';
import { checkReceipts } from '../chain/receipts.js';
import type { RecordInfo } from '../chain/records.js';
import { listRecords } from '../chain/records.js';
import { revoke } from '../chain/revoke.js';
import { currentEpoch, nextNonce, signAction } from '../chain/signed-actions.js';
import type { EmrChain } from '../chain/types.js';
import { whoisForEncryption } from '../chain/whois.js';
import { readFileKey } from '../crypto/age-file.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { RecordStore } from '../ipfs/store.js';
import type { Unlocked } from '../session/unlock.js';
import { exposedTo } from './exposure.js';
import { publishKeyDelivery } from './key-delivery.js';
import type { Rekeyed, Skipped } from './rekey.js';
import { currentRecipients, rekeyRecords, skippable } from './rekey.js';
import type { SignOnlyLog } from './sign-only-log.js';
import { ownTypeKey } from './type-keys.js';

export interface ShareDeps {
  chain: EmrChain;
  store: RecordStore;
  me: Unlocked;
  scratch: string;
  /** The patient's log of sign-only deliveries (SHARING.md § 2.7). */
  log: SignOnlyLog;
}

const ZERO32 = '0x' + '00'.repeat(32);

export async function providerRecipient(chain: EmrChain, provider: string): Promise<string> {
  // SHARING.md § 8: pinned in the contact book and cross-checked before any key goes to it.
  const info = await whoisForEncryption(chain, provider);
  if (!info.registered || !info.recipient) {
    throw new NotFoundError(`${provider} is not registered`, { hint: 'the provider must run `emr register --role provider` first' });
  }
  return info.recipient;
}

/** The patient's records a grant of (mask, ids) covers. */
export async function recordsInScope(chain: EmrChain, patient: string, scope: { readMask: number; ids?: bigint[] }): Promise<RecordInfo[]> {
  const all = await listRecords(chain, { patient });
  const ids = new Set((scope.ids ?? []).map(String));
  return all.filter((r) => ((scope.readMask >>> r.recordType) & 1) === 1 || ids.has(r.id.toString()));
}

/**
 * Builds and stores the key delivery for `records` (SHARING.md § 2); ZERO32 when there is
 * nothing to deliver. The file keys are unwrapped with the acting identity: the patient's
 * (a recipient of every one of their records, § 1), or the consortium's during an emergency
 * (§ 4.2), which passes the `patient`. A record that identity cannot open (not an age file,
 * not addressed to it, missing from the store) is skipped and reported, never fatal (§ 2.6).
 */
export async function deliverKeys(
  deps: Pick<ShareDeps, 'chain' | 'store' | 'me'>,
  grantee: string,
  records: RecordInfo[],
  /** `to`: an org grant's members (SHARING.md § 9.2): one delivery sealed to all of them, naming the org. */
  opts: { patient?: string; typeKey?: Uint8Array; to?: readonly string[] } = {},
): Promise<{ digest: string; cid: string | null; delivered: string[]; skipped: Skipped[] }> {
  const keys: Array<{ id: string; cid: string; fileKey: Uint8Array }> = [];
  const skipped: Skipped[] = [];
  try {
    for (const r of records) {
      try {
        keys.push({ id: r.id.toString(), cid: r.cid, fileKey: await readFileKey(deps.store.cat(r.cid), [deps.me.age.identity]) });
      } catch (e) {
        if (!skippable(e)) throw e;
        skipped.push({ id: r.id.toString(), reason: (e as Error).message });
      }
    }
    // A grant by type always delivers: its grantee needs the type key (CONTRACT.md § Privacy).
    if (keys.length === 0 && !opts.typeKey) return { digest: ZERO32, cid: null, delivered: [], skipped };
    if (opts.to && !opts.to.length) return { digest: ZERO32, cid: null, delivered: [], skipped };
    const recipient = opts.to ?? (await providerRecipient(deps.chain, grantee));
    const obj = { patient: opts.patient ?? deps.me.profile.address, grantee, keys, ...(opts.typeKey ? { typeKey: opts.typeKey } : {}) };
    const pub = await publishKeyDelivery(deps.store, obj, recipient);
    return { digest: pub.digest, cid: pub.cid, delivered: keys.map((k) => k.id), skipped };
  } finally {
    for (const k of keys) k.fileKey.fill(0);
  }
}

export interface GrantRequest {
  provider: string;
  readMask: number;
  write: boolean;
  ids: bigint[];
  expiry: number;
  /** Sign offline for a relayer instead of sending (CONTRACT.md § Signed actions). */
  signOnly?: { deadline: number };
}

export async function grantAccess(deps: ShareDeps, g: GrantRequest) {
  const patient = deps.me.profile.address;
  if (g.provider.toLowerCase() === patient.toLowerCase()) throw new UsageError('you cannot grant yourself', { hint: 'name a provider' });
  if (g.signOnly && g.ids.length)
    throw new UsageError('record-scoped grants cannot be relayed', { hint: 'sign a grant by --types, or send it yourself' });
  // § 2.7: sign-only deliveries that can no longer be relayed leave the store first.
  const voidedDeliveries = await deps.log.settle(deps.chain, deps.store);
  const inScope = await recordsInScope(deps.chain, patient, { readMask: g.readMask, ids: g.ids });
  const missing = g.ids.filter((id) => !inScope.some((r) => r.id === id));
  if (missing.length) throw new NotFoundError(`not your record(s): ${missing.join(', ')}`, { hint: 'see `emr record list`' });
  const typeKey = g.readMask ? ownTypeKey(deps.me) : undefined;
  let delivery: Awaited<ReturnType<typeof deliverKeys>>;
  try {
    delivery = await deliverKeys(deps, g.provider, inScope, typeKey ? { typeKey } : {});
  } finally {
    typeKey?.fill(0);
  }
  if (g.signOnly) {
    const nonce = await nextNonce(deps.chain, patient);
    // A later revoke bumps the epoch and voids this signature (CONTRACT.md § Signed actions).
    const epoch = await currentEpoch(deps.chain, patient, g.provider);
    // § 2.7: logged before the signature (and the delivery's CID with it) leaves this run,
    // so a voided or expired one is found, forgotten and counted by re-key.
    if (delivery.cid) {
      await deps.log.record({
        patient,
        provider: g.provider,
        cid: delivery.cid,
        digest: delivery.digest,
        epoch,
        nonce: nonce.toString(),
        deadline: g.signOnly.deadline,
        records: inScope.filter((r) => delivery.delivered.includes(r.id.toString())).map((r) => ({ id: r.id.toString(), cid: r.cid })),
      });
    }
    const signed = await signAction(await deps.me.wallet(), {
      chainId: deps.chain.chainId,
      contract: deps.chain.address,
      nonce,
      epoch,
      deadline: g.signOnly.deadline,
      action: {
        kind: 'grant',
        provider: g.provider,
        readMask: g.readMask,
        writeMask: g.write ? g.readMask : 0,
        expiry: g.expiry,
        keyDelivery: delivery.digest,
      },
    });
    return {
      provider: g.provider,
      expiresAt: new Date(g.expiry * 1000).toISOString(),
      keysDelivered: delivery.delivered,
      skipped: delivery.skipped,
      keyDeliveryCid: delivery.cid,
      voidedDeliveries,
      txHashes: [] as string[],
      signed,
    };
  }
  const txs: string[] = [];
  if (g.readMask !== 0 || g.write) {
    txs.push(
      (
        await grant(deps.chain, {
          provider: g.provider,
          readMask: g.readMask,
          writeMask: g.write ? g.readMask : 0,
          expiry: g.expiry,
          keyDelivery: delivery.digest,
        })
      ).txHash,
    );
  }
  if (g.ids.length) {
    txs.push(
      (
        await grantRecords(deps.chain, {
          provider: g.provider,
          ids: g.ids,
          expiry: g.expiry,
          keyDelivery: g.readMask ? ZERO32 : delivery.digest,
        })
      ).txHash,
    );
  }
  return {
    provider: g.provider,
    expiresAt: new Date(g.expiry * 1000).toISOString(),
    keysDelivered: delivery.delivered,
    skipped: delivery.skipped,
    keyDeliveryCid: delivery.cid,
    voidedDeliveries,
    txHashes: txs,
    signed: undefined,
  };
}

/**
 * `emr revoke` (docs/SHARING.md § 3): what the provider could read and fetched (found before
 * the revoke), the revoke itself, and with `rekey` a new key for every record whose current
 * ciphertext the provider may hold a key to (§ 3.5) — whatever their grant says now, and
 * including records a plain revoke or a stopped re-key left behind (§ 3.7): a retry re-keys
 * exactly what is still exposed. Record-scoped grants count only from the current epoch.
 */
export async function revokeAccess(deps: ShareDeps, provider: string, opts: { rekey: boolean }) {
  const chain = deps.chain;
  const patient = deps.me.profile.address;
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
  const voidedDeliveries = await deps.log.settle(chain, deps.store);
  // Read after the revoke, so its Revoked event closes every window (exposure.ts).
  const all = await listRecords(chain, { patient });
  // § 3.5: what the chain shows, plus every sign-only delivery to them, relayed or not.
  const logged = await deps.log.exposedTo(provider, all);
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
    const res = await rekeyRecords(deps, exposed, await currentRecipients(deps, patient, provider, warnings), {
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
