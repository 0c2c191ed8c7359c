/**
 * `emr fetch <id>` and `emr verify <id>` (docs/CLI.md § Records; docs/SHARING.md § 3):
 * check access on chain, fetch by CID (every block verified), decrypt with the reader's
 * identity or a delivered file key, verify the author's signature, and check that what was
 * signed is what the chain says (patient, author, type, this chain and contract). The
 * contract only emits RecordAdded when the author was allowed to add at that block, so the
 * event itself is the proof of authority at add time. Then a read receipt (`logAccess`).
 */
import type { EmrChain } from '../chain/types.js';
import type { RecordInfo } from '../chain/records.js';
import type { Unlocked } from '../identity/unlock.js';
import type { RecordStore } from '../ipfs/store.js';
import { AccessDeniedError, IntegrityError } from '../errors.js';
import { typeName } from '../record-types.js';
import { NoMatchingIdentityError } from '../crypto/recipients.js';
import { V2_FIELDS } from '../crypto/bundle-format.js';

export interface FetchDeps {
  chain: EmrChain;
  store: RecordStore;
  me: Unlocked;
}

export interface FetchedRecord {
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
  createdAt: string | null;
  receiptTx: string | null;
  via: 'identity' | 'key-delivery' | 'raw';
  /** Signed clinical metadata, present only when the record carries it (docs/FORMAT.md § 3.4). */
  fhir?: string;
  careDate?: string;
  supersedes?: string;
  facility?: string;
  encounterStart?: string;
  encounterEnd?: string;
  mrn?: string;
}

export async function checkReadAccess(chain: EmrChain, reader: string, rec: RecordInfo): Promise<void> {
  const { canRead } = await import('../chain/grants.js');
  if (!(await canRead(chain, { reader, patient: rec.patient, recordType: rec.recordType, recordId: rec.id }))) {
    // An expired grant says when it expired (the date is the first thing a person checks).
    const { grantOf } = await import('../chain/grants.js');
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
async function deliveredKey(deps: FetchDeps, rec: RecordInfo): Promise<Uint8Array | undefined> {
  const { keyDeliveries } = await import('../chain/grants.js');
  const { partsToCid } = await import('../chain/cid.js');
  const { CODEC_RAW } = await import('../chain/types.js');
  const { openKeyDelivery } = await import('./key-delivery.js');
  const me = deps.me.profile.address;
  const deliveries = await keyDeliveries(deps.chain, rec.patient, me);
  // Newest first: a later delivery supersedes an earlier one.
  for (const d of [...deliveries].reverse()) {
    const cid = partsToCid({ cidCodec: CODEC_RAW, digest: d.keyDelivery });
    let keys;
    try {
      keys = await openKeyDelivery(deps.store, cid, deps.me.age.identity, { patient: rec.patient, grantee: me });
    } catch {
      continue; // unreadable or not ours: try the next one
    }
    const hit = keys.find((k) => k.id === rec.id.toString() && k.cid === rec.cid);
    for (const k of keys) if (k !== hit) k.fileKey.fill(0);
    if (hit) return hit.fileKey;
  }
  return undefined;
}

/**
 * Decrypts (or, with output null, only verifies) a record the caller may read. Throws
 * IntegrityError when the bytes, the signature, or the signed facts do not match the chain.
 */
export async function openRecord(deps: FetchDeps, rec: RecordInfo, output: string | NodeJS.WritableStream | null): Promise<Omit<FetchedRecord, 'receiptTx' | 'path'>> {
  const { decryptBundle } = await import('../crypto/bundle.js');
  const identities = [deps.me.age.identity];
  let via: FetchedRecord['via'] = 'identity';
  let res;
  try {
    // The header is read and unwrapped before any output is opened, so "not addressed to
    // you" costs one header read and leaves nothing behind.
    res = await decryptBundle({ input: deps.store.cat(rec.cid), output, identities });
  } catch (e) {
    // Only "not addressed to you" has another way in; damaged bytes stay INTEGRITY (exit 4).
    if (!(e instanceof NoMatchingIdentityError)) throw e;
    const fileKey = await deliveredKey(deps, rec);
    if (!fileKey) {
      throw new AccessDeniedError(`record ${rec.id} is not encrypted to you and no key was delivered`, {
        hint: 'access is granted on chain but the key has not reached you: ask the patient to grant again (it re-delivers keys)',
      });
    }
    via = 'key-delivery';
    try {
      res = await decryptBundle({ input: deps.store.cat(rec.cid), output, identities, fileKey });
    } finally {
      fileKey.fill(0);
    }
  }
  if (!res.signed) throw new IntegrityError(`record ${rec.id} is not a signed bundle`, { hint: 'the stored ciphertext is not what an emr author produces' });
  const m = res.metadata;
  const same = (a: string | undefined, b: string) => !!a && a.toLowerCase() === b.toLowerCase();
  const mismatch =
    !same(res.author, rec.author) ? 'signer is not the author on chain' :
    !same(m.patient, rec.patient) ? 'signed patient differs from the chain' :
    m.type !== typeName(rec.recordType) ? 'signed type differs from the chain' :
    (m.chainId !== undefined && BigInt(m.chainId) !== deps.chain.chainId) || (m.verifyingContract !== undefined && !same(m.verifyingContract, deps.chain.address))
      ? 'signed for another chain or contract' : null;
  if (mismatch) throw new IntegrityError(`record ${rec.id}: ${mismatch}`, { hint: 'the record was tampered with or registered from someone else’s bundle' });
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
    createdAt: new Date(m.createdAt * 1000).toISOString(),
    via,
    ...Object.fromEntries(V2_FIELDS.filter((k) => m[k] !== undefined).map((k) => [k, m[k]])),
  };
}
