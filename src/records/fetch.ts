/**
 * `emr fetch <id>` and `emr verify <id>` (docs/CLI.md § Records; docs/SHARING.md § 3):
 * check access on chain, fetch by CID (every block verified), decrypt with the reader's
 * identity or a delivered file key, verify the author's signature, and check that what was
 * signed is what the chain says (patient, author, type, this chain and contract). The
 * contract only emits RecordAdded when the author was allowed to add at that block, so the
 * event itself is the proof of authority at add time. Then a read receipt (`logAccess`).
 */

import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, renameSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { partsToCid } from '../chain/cid.js';
import { canRead, grantOf, keyDeliveries } from '../chain/grants.js';
import { orgGrantee, orgKeyDeliveries, readableVia } from '../chain/org-state.js';
import type { RecordInfo } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';
import { CODEC_RAW } from '../chain/types.js';
import { readFileKey } from '../crypto/age-file.js';
import { decryptBundle } from '../crypto/bundle.js';
import { type BundleMetadata, V3_FIELDS } from '../crypto/bundle-format.js';
import type { DecryptBundleResult } from '../crypto/bundle-verify.js';
import { NoMatchingIdentityError } from '../crypto/recipients.js';
import { AccessDeniedError, IntegrityError, NotFoundError, UsageError } from '../errors.js';
import type { RecordStore } from '../ipfs/store.js';
import { isRecordType, type TypeSlots } from '../record-types.js';
import type { Only } from '../session/index.js';
import { openKeyDelivery } from './key-delivery.js';
import { writeRawKey } from './raw-key.js';
import { copyToStream, saveStream, withPrivateTemp } from './save.js';
import { slotsFor } from './type-keys.js';

/** Signed clinical metadata is present only when the record carries it (docs/FORMAT.md § 3.4). */
export interface FetchedRecord extends Partial<Pick<BundleMetadata, (typeof V3_FIELDS)[number]>> {
  id: string;
  path: string | null;
  sha256: string;
  author: string;
  patient: string;
  type: string;
  cid: string;
  signatureValid: boolean;
  title: string | null;
  fileName: string | null;
  /** The signed media type of the content (docs/FORMAT.md § 3.4), when the author gave one. */
  mediaType: string | null;
  createdAt: string | null;
  receiptTx: string | null;
  via: 'identity' | 'key-delivery' | 'raw';
}

/**
 * CONTRACT.md § Erasure: an erased record is not found (exit 7), for everyone, its patient
 * included, with the tombstone (when, by whom) in the message and `error.details`.
 */
export function refuseErased(rec: RecordInfo): void {
  if (!rec.erased) return;
  const at = new Date(rec.erased.at * 1000).toISOString();
  throw new NotFoundError(`record ${rec.id} was erased by its patient ${rec.erased.by} on ${at}`, {
    hint: 'an erased record is gone from its patient’s stores; the chain keeps only the tombstone (`emr audit`)',
    details: { erased: { at, by: rec.erased.by, txHash: rec.erased.txHash } },
  });
}

/**
 * Throws unless `reader` may read `rec`; returns the org it reads through (SHARING.md § 9.4)
 * when no grant of its own covers it.
 */
export async function checkReadAccess(chain: EmrChain, reader: string, rec: RecordInfo): Promise<bigint | undefined> {
  refuseErased(rec);
  if (!(await canRead(chain, { reader, patient: rec.patient, recordType: rec.recordType, recordId: rec.id }))) {
    const via = await readableVia(chain, { reader, patient: rec.patient, recordType: rec.recordType, recordId: rec.id });
    if (via !== undefined) return via;
    // An expired grant says when it expired (the date is the first thing a person checks).
    const g = await grantOf(chain, rec.patient, reader).catch(() => undefined);
    if (g && g.expiry > 0 && !g.live) {
      const until = new Date(g.expiry * 1000).toISOString();
      const latest = await chain.provider.getBlock('latest').catch(() => null);
      if (latest && g.expiry <= latest.timestamp) {
        throw new AccessDeniedError(`no access to record ${rec.id}: your grant from ${rec.patient} expired on ${until}`, {
          hint: 'ask the patient to grant again with a later --expires, or request it with `emr access request <patient>`',
        });
      }
    }
    throw new AccessDeniedError(`no access to record ${rec.id}`, {
      hint: 'the patient has not granted you this record or its type, or the grant expired or was revoked; ask with `emr access request <patient>`',
    });
  }
}

/** A file key delivered to `me` for this record's current CID, if any. */
async function deliveredKey(s: Only<'chain' | 'store' | 'me'>, rec: RecordInfo): Promise<Uint8Array | undefined> {
  const me = s.me.profile.address;
  const deliveries = await keyDeliveries(s.chain, rec.patient, me);
  // Newest first: a later delivery supersedes an earlier one.
  for (const d of [...deliveries].reverse()) {
    const cid = partsToCid({ cidCodec: CODEC_RAW, digest: d.keyDelivery });
    let keys;
    try {
      keys = await openKeyDelivery(s.store, cid, s.me.age.identity, { patient: rec.patient, grantee: me });
    } catch {
      continue; // unreadable or not ours: try the next one
    }
    const hit = keys.find((k) => k.id === rec.id.toString() && k.cid === rec.cid);
    for (const k of keys) if (k !== hit) k.fileKey.fill(0);
    if (hit) return hit.fileKey;
  }
  // SHARING.md § 9.2: the keys of records that existed when the patient granted an org.
  for (const d of await orgKeyDeliveries(s.chain, rec.patient, me)) {
    const cid = partsToCid({ cidCodec: CODEC_RAW, digest: d.keyDelivery });
    let keys;
    try {
      keys = await openKeyDelivery(s.store, cid, s.me.age.identity, { patient: rec.patient, grantee: orgGrantee(d.org) });
    } catch {
      continue;
    }
    const hit = keys.find((k) => k.id === rec.id.toString() && k.cid === rec.cid);
    for (const k of keys) if (k !== hit) k.fileKey.fill(0);
    if (hit) return hit.fileKey;
  }
  return undefined;
}

/** An existing file is never replaced without force ("nothing lost"). */
export function refuseOverwrite(path: string, force: boolean | undefined): void {
  if (existsSync(path) && !force) throw new UsageError(`${path} already exists`, { hint: 'choose another -o path or pass --force' });
}

/** Where a fetch writes: a file (never replaced without force), stdout, or a name from the bundle. */
export type FetchTarget =
  | { kind: 'file'; path: string; force?: boolean }
  | { kind: 'stdout'; stream: NodeJS.WritableStream }
  | { kind: 'default'; force?: boolean };

/**
 * The signed facts must be the chain's (docs/SHARING.md § 3): signer = author on chain,
 * same patient, same type, this chain and contract. Runs inside decryptBundle's `accept`
 * hook, i.e. BEFORE any plaintext is renamed into place — a record registered from someone
 * else's bundle leaves nothing on disk.
 */
function checkSignedFacts(s: Only<'chain' | 'store' | 'me'>, rec: RecordInfo, res: DecryptBundleResult, slots: TypeSlots): void {
  if (!res.signed)
    throw new IntegrityError(`record ${rec.id} is not a signed bundle`, {
      hint: 'the stored ciphertext is not what an emr author produces',
    });
  const m = res.metadata;
  const same = (a: string | undefined, b: string) => !!a && a.toLowerCase() === b.toLowerCase();
  const mismatch = !same(res.author, rec.author)
    ? 'signer is not the author on chain'
    : !same(m.patient, rec.patient)
      ? 'signed patient differs from the chain'
      : // CONTRACT.md § Privacy: the chain holds the patient's slot of the type; a reader
        // with the patient's key checks it, one without (a record-scoped or emergency
        // reader) learns the type from the signed bundle alone.
        slots.known && !(isRecordType(m.type) && slots.slotOf(m.type) === rec.recordType)
        ? 'signed type differs from the chain'
        : (m.chainId !== undefined && BigInt(m.chainId) !== s.chain.chainId) ||
            (m.verifyingContract !== undefined && !same(m.verifyingContract, s.chain.address))
          ? 'signed for another chain or contract'
          : null;
  if (mismatch)
    throw new IntegrityError(`record ${rec.id}: ${mismatch}`, {
      hint: 'the record was tampered with or registered from someone else’s bundle',
    });
}

/**
 * Decrypts (or, with output null, only verifies) a record the caller may read. Throws
 * IntegrityError when the bytes, the signature, or the signed facts do not match the chain;
 * then no output file exists (the checks run before the rename).
 */
export async function openRecord(
  s: Only<'chain' | 'store' | 'me'>,
  rec: RecordInfo,
  output: string | null,
): Promise<Omit<FetchedRecord, 'receiptTx' | 'path'>> {
  const identities = [s.me.age.identity];
  const slots = await slotsFor(s, rec.patient);
  const accept = (r: DecryptBundleResult) => checkSignedFacts(s, rec, r, slots);
  let via: FetchedRecord['via'] = 'identity';
  let res;
  try {
    // The header is read and unwrapped before any output is opened, so "not addressed to
    // you" costs one header read and leaves nothing behind.
    res = await decryptBundle({ input: s.store.cat(rec.cid), output, identities, accept });
  } catch (e) {
    // Only "not addressed to you" has another way in; damaged bytes stay INTEGRITY (exit 4).
    if (!(e instanceof NoMatchingIdentityError)) throw e;
    const fileKey = await deliveredKey(s, rec);
    if (!fileKey) {
      throw new AccessDeniedError(`record ${rec.id} is not encrypted to you and no key was delivered`, {
        hint: 'access is granted on chain but the key has not reached you: ask the patient to grant again (it re-delivers keys)',
      });
    }
    via = 'key-delivery';
    try {
      res = await decryptBundle({ input: s.store.cat(rec.cid), output, identities, fileKey, accept });
    } finally {
      fileKey.fill(0);
    }
  }
  if (!res.signed) throw new Error('unreachable: accept() refuses unsigned content');
  const m = res.metadata;
  return {
    id: rec.id.toString(),
    sha256: res.sha256,
    author: res.author,
    patient: rec.patient,
    type: m.type,
    cid: rec.cid,
    signatureValid: true,
    title: m.title ?? null,
    fileName: m.fileName ?? null,
    mediaType: m.mediaType ?? null,
    createdAt: new Date(m.createdAt * 1000).toISOString(),
    via,
    ...Object.fromEntries(V3_FIELDS.filter((k) => m[k] !== undefined).map((k) => [k, m[k]])),
  };
}

/**
 * `fetch` without --raw, to any target. Plaintext reaches its destination only after every
 * check passed: a file target is a temporary renamed at the end; stdout gets the bytes of a
 * verified private temporary copy (a stream cannot un-write); the default name comes from
 * inside the signed bundle, so the record is decrypted to a hidden temporary first and
 * linked to that name (never replacing a file) only once verified.
 */
export async function fetchRecord(
  s: Only<'chain' | 'store' | 'me'>,
  rec: RecordInfo,
  target: FetchTarget,
): Promise<Omit<FetchedRecord, 'receiptTx'>> {
  if (target.kind === 'file') {
    refuseOverwrite(target.path, target.force);
    return { ...(await openRecord(s, rec, target.path)), path: target.path };
  }
  if (target.kind === 'stdout') {
    return withPrivateTemp(async (tmp) => {
      const opened = await openRecord(s, rec, tmp);
      await copyToStream(tmp, target.stream);
      return { ...opened, path: '-' };
    });
  }
  const staging = `.emr-fetch-${rec.id}-${randomBytes(4).toString('hex')}`;
  const opened = await openRecord(s, rec, staging);
  const signedName = opened.fileName ? basename(opened.fileName) : '';
  const candidates = [signedName && !signedName.startsWith('.') ? signedName : '', `record-${rec.id}`].filter(Boolean);
  let out = '';
  try {
    for (const c of candidates) {
      try {
        linkSync(staging, c); // fails if it exists: never replaces a file
        out = c;
        break;
      } catch {
        /* taken: try the next name */
      }
    }
    if (!out && target.force) {
      out = `record-${rec.id}`;
      renameSync(staging, out);
    }
  } finally {
    rmSync(staging, { force: true });
  }
  if (!out) refuseOverwrite(`record-${rec.id}`, false);
  return { ...opened, path: out };
}

/** Where `fetch --raw` writes a file copy (`record-<id>.age` by default). */
export const rawPath = (rec: RecordInfo, target: Exclude<FetchTarget, { kind: 'stdout' }>): string =>
  target.kind === 'file' ? target.path : `record-${rec.id}.age`;

/**
 * `fetch --raw` by a reader the ciphertext is not addressed to (the key was delivered after
 * the record was added): keep that key beside the copy (docs/FORMAT.md § 6) so that `emr
 * decrypt` opens it later. The key is first checked to open this very copy, with the signed
 * facts matching the chain, as `fetch` would. Returns the key file's path, or null when the
 * copy opens with the reader's own identity (or no key was delivered).
 */
export async function keepDeliveredKey(
  s: Only<'chain' | 'store' | 'me'>,
  rec: RecordInfo,
  copy: string,
  force?: boolean,
): Promise<string | null> {
  try {
    (await readFileKey(copy, [s.me.age.identity])).fill(0);
    return null; // addressed to the reader: the copy opens on its own
  } catch (e) {
    if (!(e instanceof NoMatchingIdentityError)) throw e;
  }
  const fileKey = await deliveredKey(s, rec);
  if (!fileKey) return null;
  const slots = await slotsFor(s, rec.patient);
  try {
    await decryptBundle({ input: copy, output: null, identities: [], fileKey, accept: (r) => checkSignedFacts(s, rec, r, slots) });
    return await writeRawKey(copy, s.me.age.recipient, { id: rec.id.toString(), cid: rec.cid, patient: rec.patient, fileKey }, force);
  } finally {
    fileKey.fill(0);
  }
}

/** `fetch --raw`: the CID-verified ciphertext, to a file (atomic) or stdout (after the whole DAG verified). */
export async function fetchRaw(
  store: RecordStore,
  rec: RecordInfo,
  target: Exclude<FetchTarget, { kind: 'default' }> | { kind: 'default'; force?: boolean },
): Promise<{ path: string; sha256: string }> {
  if (target.kind === 'stdout') {
    return withPrivateTemp(async (tmp) => {
      const sha256 = await saveStream(store.cat(rec.cid), tmp);
      await copyToStream(tmp, target.stream);
      return { path: '-', sha256 };
    });
  }
  const path = rawPath(rec, target);
  refuseOverwrite(path, target.force);
  return { path, sha256: await saveStream(store.cat(rec.cid), path) };
}
