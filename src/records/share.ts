/**
 * `emr grant <provider>`, the whole use case (docs/CLI.md § Sharing; docs/SHARING.md § 2):
 * the patient lets a provider read records of some types and/or some records until the
 * expiry, delivering the file keys of the existing records in scope to the provider alone
 * in a key-delivery object (age-encrypted to the grantee only, stored on IPFS, its digest in
 * the grant transaction); records added later while the grant is live are encrypted to the
 * grantee directly by `record add`. With --sign-only it signs the grant for a relayer
 * instead (docs/CONTRACT.md § Signed actions). The revoke is ./revoke-access.ts.
 */

import { grant } from '../chain/grant.js';
import { grantRecords } from '../chain/grant-records.js';
import type { RecordInfo } from '../chain/records.js';
import { listRecords } from '../chain/records.js';
import { currentEpoch, nextNonce, signAction } from '../chain/signed-actions.js';
import type { EmrChain } from '../chain/types.js';
import { whoisForEncryption } from '../chain/whois.js';
import { readFileKey } from '../crypto/age-file.js';
import { NotFoundError, UsageError } from '../errors.js';
import { ALL_TYPES_MASK, RECORD_TYPES, typesToMask } from '../record-types.js';
import type { Only, With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { parseExpiry } from './expiry.js';
import { publishKeyDelivery } from './key-delivery.js';
import { type Skipped, skippable } from './rekey.js';
import { SignOnlyLog } from './sign-only-log.js';
import { ownTypeKey, slotsFor } from './type-keys.js';

export interface GrantInput {
  /** The provider as given: a 0x address or a local profile name. */
  who: string;
  types: string[];
  ids: string[];
  readMask: number;
  write: boolean;
  /** Unix seconds. */
  expiry: number;
  /** Sign offline until this deadline (unix seconds) instead of sending. */
  signOnly?: { deadline: number };
}

export function parseList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The options as a grant, checked before any I/O (usage errors, exit 2). */
export function grantInput(
  who: string,
  opts: { types?: string; records?: string; expires: string; write?: boolean; signOnly?: boolean; deadline: string },
  now: Date,
): GrantInput {
  const types = parseList(opts.types);
  const ids = parseList(opts.records);
  if (!types.length && !ids.length) throw new UsageError('nothing to grant', { hint: 'pass --types a,b (or all) and/or --records id,id' });
  let readMask = 0;
  try {
    readMask = types.includes('all') ? ALL_TYPES_MASK : typesToMask(types);
  } catch (e) {
    throw new UsageError((e as Error).message, { hint: `types: ${RECORD_TYPES.join(', ')}` });
  }
  if (ids.some((i) => !/^\d+$/.test(i))) throw new UsageError('record ids are numbers', { hint: 'e.g. --records 3,7' });
  if (opts.write && !readMask) throw new UsageError('--write needs --types', { hint: 'writing is granted per type' });
  const expiry = parseExpiry(opts.expires, now);
  return {
    who,
    types,
    ids,
    readMask,
    write: !!opts.write,
    expiry,
    ...(opts.signOnly ? { signOnly: { deadline: parseExpiry(opts.deadline, now) } } : {}),
  };
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
  s: Only<'chain' | 'store' | 'me'>,
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
        keys.push({ id: r.id.toString(), cid: r.cid, fileKey: await readFileKey(s.store.cat(r.cid), [s.me.age.identity]) });
      } catch (e) {
        if (!skippable(e)) throw e;
        skipped.push({ id: r.id.toString(), reason: (e as Error).message });
      }
    }
    // A grant by type always delivers: its grantee needs the type key (CONTRACT.md § Privacy).
    if (keys.length === 0 && !opts.typeKey) return { digest: ZERO32, cid: null, delivered: [], skipped };
    if (opts.to && !opts.to.length) return { digest: ZERO32, cid: null, delivered: [], skipped };
    const recipient = opts.to ?? (await providerRecipient(s.chain, grantee));
    const obj = { patient: opts.patient ?? s.me.profile.address, grantee, keys, ...(opts.typeKey ? { typeKey: opts.typeKey } : {}) };
    const pub = await publishKeyDelivery(s.store, obj, recipient);
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

/** The grant itself, `readMask` already in the patient's slots: the command's flow (below) and the demo call it. */
export async function grantAccess(s: Only<'home' | 'chain' | 'store' | 'me'>, g: GrantRequest) {
  const patient = s.me.profile.address;
  // The patient's log of sign-only deliveries (SHARING.md § 2.7).
  const log = new SignOnlyLog(s.home, s.me);
  if (g.provider.toLowerCase() === patient.toLowerCase()) throw new UsageError('you cannot grant yourself', { hint: 'name a provider' });
  if (g.signOnly && g.ids.length)
    throw new UsageError('record-scoped grants cannot be relayed', { hint: 'sign a grant by --types, or send it yourself' });
  // § 2.7: sign-only deliveries that can no longer be relayed leave the store first.
  const voidedDeliveries = await log.settle(s.chain, s.store);
  const inScope = await recordsInScope(s.chain, patient, { readMask: g.readMask, ids: g.ids });
  const missing = g.ids.filter((id) => !inScope.some((r) => r.id === id));
  if (missing.length) throw new NotFoundError(`not your record(s): ${missing.join(', ')}`, { hint: 'see `emr record list`' });
  const typeKey = g.readMask ? ownTypeKey(s.me) : undefined;
  let delivery: Awaited<ReturnType<typeof deliverKeys>>;
  try {
    delivery = await deliverKeys(s, g.provider, inScope, typeKey ? { typeKey } : {});
  } finally {
    typeKey?.fill(0);
  }
  const outcome = {
    provider: g.provider,
    expiresAt: new Date(g.expiry * 1000).toISOString(),
    keysDelivered: delivery.delivered,
    skipped: delivery.skipped,
    keyDeliveryCid: delivery.cid,
    voidedDeliveries,
  };
  if (g.signOnly) {
    const nonce = await nextNonce(s.chain, patient);
    // A later revoke bumps the epoch and voids this signature (CONTRACT.md § Signed actions).
    const epoch = await currentEpoch(s.chain, patient, g.provider);
    // § 2.7: logged before the signature (and the delivery's CID with it) leaves this run,
    // so a voided or expired one is found, forgotten and counted by re-key.
    if (delivery.cid) {
      await log.record({
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
    const signed = await signAction(await s.me.wallet(), {
      chainId: s.chain.chainId,
      contract: s.chain.address,
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
    return { ...outcome, txHashes: [] as string[], signed };
  }
  const txs: string[] = [];
  if (g.readMask !== 0 || g.write) {
    txs.push(
      (
        await grant(s.chain, {
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
        await grantRecords(s.chain, {
          provider: g.provider,
          ids: g.ids,
          expiry: g.expiry,
          keyDelivery: g.readMask ? ZERO32 : delivery.digest,
        })
      ).txHash,
    );
  }
  return { ...outcome, txHashes: txs, signed: undefined };
}

export async function grantAccessFlow(s: With<'me' | 'chain' | 'store'>, g: GrantInput) {
  const provider = await resolveAddress(s.ctx, g.who);
  // On chain: the patient's secret slots, padded (CONTRACT.md § Privacy).
  const slots = await slotsFor(s, s.me.profile.address);
  const readMask = g.readMask ? slots.pad(slots.toMask(g.types.includes('all') ? RECORD_TYPES : g.types)) : 0;
  const res = await grantAccess(s, { provider, readMask, write: g.write, ids: g.ids.map(BigInt), expiry: g.expiry, signOnly: g.signOnly });
  if (res.signed) return { ...res, signed: res.signed };
  return { ...res, signed: undefined, types: g.types.includes('all') ? [...RECORD_TYPES] : g.types, records: g.ids, write: g.write };
}
