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
import type { EmrChain } from '../chain/types.js';
import type { RecordInfo } from '../chain/records.js';
import type { Unlocked } from '../identity/unlock.js';
import type { RecordStore } from '../ipfs/store.js';
import { NotFoundError, UsageError } from '../errors.js';

export interface ShareDeps {
  chain: EmrChain;
  store: RecordStore;
  me: Unlocked;
  scratch: string;
}

const ZERO32 = '0x' + '00'.repeat(32);

export async function providerRecipient(chain: EmrChain, provider: string): Promise<string> {
  const { whois } = await import('../chain/whois.js');
  const info = await whois(chain, provider);
  if (!info.registered || !info.recipient) {
    throw new NotFoundError(`${provider} is not registered`, { hint: 'the provider must run `emr register --role provider` first' });
  }
  return info.recipient;
}

/** The patient's records a grant of (mask, ids) covers. */
export async function recordsInScope(chain: EmrChain, patient: string, scope: { readMask: number; ids?: bigint[] }): Promise<RecordInfo[]> {
  const { listRecords } = await import('../chain/records.js');
  const all = await listRecords(chain, { patient });
  const ids = new Set((scope.ids ?? []).map(String));
  return all.filter((r) => ((scope.readMask >>> r.recordType) & 1) === 1 || ids.has(r.id.toString()));
}

/**
 * Builds and stores the key delivery for `records` (SHARING.md § 2); ZERO32 when there is
 * nothing to deliver. The file keys are unwrapped with the acting identity: the patient's
 * (a recipient of every one of their records, § 1), or the consortium's during an emergency
 * (§ 4.2), which passes the `patient` and skips records not addressed to it.
 */
export async function deliverKeys(
  deps: Pick<ShareDeps, 'chain' | 'store' | 'me'>,
  grantee: string,
  records: RecordInfo[],
  opts: { patient?: string; skipUnaddressed?: boolean } = {},
): Promise<{ digest: string; cid: string | null; delivered: string[]; skipped: string[] }> {
  const { readFileKey } = await import('../crypto/age-file.js');
  const { NoMatchingIdentityError } = await import('../crypto/recipients.js');
  const keys: Array<{ id: string; cid: string; fileKey: Uint8Array }> = [];
  const skipped: string[] = [];
  try {
    for (const r of records) {
      try {
        keys.push({ id: r.id.toString(), cid: r.cid, fileKey: await readFileKey(deps.store.cat(r.cid), [deps.me.age.identity]) });
      } catch (e) {
        if (!(opts.skipUnaddressed && e instanceof NoMatchingIdentityError)) throw e;
        skipped.push(r.id.toString());
      }
    }
    if (keys.length === 0) return { digest: ZERO32, cid: null, delivered: [], skipped };
    const { publishKeyDelivery } = await import('./key-delivery.js');
    const recipient = await providerRecipient(deps.chain, grantee);
    const pub = await publishKeyDelivery(deps.store, { patient: opts.patient ?? deps.me.profile.address, grantee, keys }, recipient);
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
  const inScope = await recordsInScope(deps.chain, patient, { readMask: g.readMask, ids: g.ids });
  const missing = g.ids.filter((id) => !inScope.some((r) => r.id === id));
  if (missing.length) throw new NotFoundError(`not your record(s): ${missing.join(', ')}`, { hint: 'see `emr record list`' });
  const delivery = await deliverKeys(deps, g.provider, inScope);
  if (g.signOnly) {
    if (g.ids.length) throw new UsageError('record-scoped grants cannot be relayed', { hint: 'sign a grant by --types, or send it yourself' });
    const { nextNonce, signAction } = await import('../chain/signed-actions.js');
    const signed = await signAction(await deps.me.wallet(), {
      chainId: deps.chain.chainId,
      contract: deps.chain.address,
      nonce: await nextNonce(deps.chain, patient),
      deadline: g.signOnly.deadline,
      action: { kind: 'grant', provider: g.provider, readMask: g.readMask, writeMask: g.write ? g.readMask : 0, expiry: g.expiry, keyDelivery: delivery.digest },
    });
    return { provider: g.provider, expiresAt: new Date(g.expiry * 1000).toISOString(), keysDelivered: delivery.delivered, keyDeliveryCid: delivery.cid, txHashes: [] as string[], signed };
  }
  const txs: string[] = [];
  if (g.readMask !== 0 || g.write) {
    const { grant } = await import('../chain/grant.js');
    txs.push((await grant(deps.chain, { provider: g.provider, readMask: g.readMask, writeMask: g.write ? g.readMask : 0, expiry: g.expiry, keyDelivery: delivery.digest })).txHash);
  }
  if (g.ids.length) {
    const { grantRecords } = await import('../chain/grant-records.js');
    txs.push((await grantRecords(deps.chain, { provider: g.provider, ids: g.ids, expiry: g.expiry, keyDelivery: g.readMask ? ZERO32 : delivery.digest })).txHash);
  }
  return { provider: g.provider, expiresAt: new Date(g.expiry * 1000).toISOString(), keysDelivered: delivery.delivered, keyDeliveryCid: delivery.cid, txHashes: txs, signed: undefined };
}

/**
 * `emr revoke` (docs/SHARING.md § 3): what the provider could read and fetched (found before
 * the revoke), the revoke itself, and with `rekey` a new key for every record in that scope.
 * Record-scoped grants count only from the current epoch: older ones already died.
 */
export async function revokeAccess(deps: ShareDeps, provider: string, opts: { rekey: boolean }) {
  const { queryEvents, addressTopic } = await import('../chain/logs.js');
  const { grantOf } = await import('../chain/grants.js');
  const { whois } = await import('../chain/whois.js');
  const { revoke } = await import('../chain/revoke.js');
  const chain = deps.chain;
  const patient = deps.me.profile.address;
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const grant = await grantOf(chain, patient, provider);
  const topics = [addressTopic(patient), addressTopic(provider)];
  const [reads, scoped] = await Promise.all([
    queryEvents(chain, { names: ['RecordAccessed'], topics: [null, ...topics], fromBlock: chain.fromBlock }),
    queryEvents(chain, { names: ['RecordsGranted'], topics, fromBlock: chain.fromBlock }),
  ]);
  const fetched = [...new Set(reads.map((e) => (e.args[0] as bigint).toString()))];
  const scopedIds = scoped.filter((e) => Number(e.args[4]) === grant.epoch).flatMap((e) => (e.args[2] as bigint[]).map((x) => BigInt(x)));
  const inScope = await recordsInScope(chain, patient, { readMask: grant.readMask, ids: scopedIds });
  const tx = await revoke(chain, { provider });
  let rekeyed: Awaited<ReturnType<typeof rekeyRecords>> = [];
  if (opts.rekey && inScope.length) {
    // After the revoke the provider is no longer a live reader, so the recipients of a new
    // record of that type are exactly right (SHARING.md § 1: patient, live readers, the
    // emergency key when the type is emergency-visible) — plus the author, unless the author
    // is the one revoked.
    const { recipientsForRecord } = await import('./recipients.js');
    rekeyed = await rekeyRecords(deps, inScope, async (r) => {
      const authorRecipient = same(r.author, provider) || same(r.author, patient) ? deps.me.age.recipient : (await whois(chain, r.author)).recipient ?? deps.me.age.recipient;
      return (await recipientsForRecord(chain, { patient, author: r.author, authorRecipient, recordType: r.recordType })).recipients;
    });
  }
  return {
    txHash: tx.txHash,
    rekeyed,
    stillHeld: {
      fetched,
      couldRead: inScope.map((r) => r.id.toString()),
      note: 'copies the provider fetched, and keys delivered to them, cannot be recalled; re-keyed records no longer open with those keys',
    },
  };
}

/** Re-encrypts `records` under new file keys for `recipients` and re-points the chain. */
export async function rekeyRecords(deps: ShareDeps, records: RecordInfo[], recipientsFor: (r: RecordInfo) => Promise<string[]>) {
  const { decryptFile, encryptFile } = await import('../crypto/age-file.js');
  const { rekeyRecord } = await import('../chain/rekey-record.js');
  const { join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const { rmSync } = await import('node:fs');
  const out: Array<{ id: string; oldCid: string; newCid: string; txHash: string }> = [];
  const { PassThrough } = await import('node:stream');
  for (const r of records) {
    const target = join(deps.scratch, `rekey-${randomBytes(8).toString('hex')}.age`);
    try {
      // The plaintext is the signed bundle: it streams through unchanged (never to disk), so
      // the author's signature still verifies after the re-key (docs/SHARING.md § 3).
      const pipe = new PassThrough();
      const encrypting = encryptFile({ recipients: await recipientsFor(r), input: pipe, output: target });
      try {
        await decryptFile({ identities: [deps.me.age.identity], input: deps.store.cat(r.cid), output: pipe });
        pipe.end();
      } catch (e) {
        pipe.destroy(e as Error);
        await encrypting.catch(() => undefined);
        throw e;
      }
      await encrypting;
      const added = await deps.store.add(target);
      const tx = await rekeyRecord(deps.chain, { id: r.id, cidCodec: added.codec, digest: '0x' + Buffer.from(added.digest).toString('hex') });
      out.push({ id: r.id.toString(), oldCid: r.cid, newCid: added.cid, txHash: tx.txHash });
    } finally {
      rmSync(target, { force: true });
    }
  }
  return out;
}
