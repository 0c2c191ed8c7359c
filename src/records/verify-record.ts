/**
 * `emr verify <recordId|file>`, the whole use case (docs/CLI.md § Records): the author's
 * signature, and whether the author was a verified provider (or the patient) at a trusted
 * time (RecordAdded block, now, or --at; never the bundle's own date: docs/CLI.md
 * § Records). Writes no plaintext anywhere; the command turns `authorAuthorized:
 * false` into exit 4 with the data.
 */
import { type DispenseInfo, getRecord, listRecords, type RecordInfo, type VoidInfo } from '../chain/records.js';
import { verifyBundle } from '../crypto/bundle.js';
import { NoMatchingIdentityError } from '../crypto/recipients.js';
import { IntegrityError } from '../errors.js';
import { digestOfCid } from '../ipfs/cid.js';
import { importFile } from '../ipfs/import-file.js';
import type { With } from '../session/index.js';
import { authorityAt } from './authority.js';
import { notAddressed } from './decrypt-file.js';
import { checkReadAccess, openRecord } from './fetch.js';
import { readRawKey } from './raw-key.js';

/** `given` is the argument as typed (echoed back as `target`). */
export type VerifyTarget = ({ kind: 'record'; id: bigint } | { kind: 'file'; path: string; at?: Date }) & { given: string };

/**
 * Whose clock judged the author's authority (docs/CLI.md § Records): the block that
 * added the record; `now` (the chain's current state) for a loose file, since the date inside
 * a bundle is the author's own word; or `given`, a time the caller trusts (`--at`).
 */
export type AuthorityAt = 'record-added' | 'now' | 'given';

export interface VerifyOutcome {
  target: string;
  signatureValid: true;
  author: string;
  patient: string;
  type: string;
  title: string | null;
  sha256: string;
  signedAt: string;
  authorAuthorized: boolean;
  authority: string;
  authorityAt: AuthorityAt;
  /** The time judged (ISO), or null for `now`. */
  authorityTime: string | null;
  /** The registered record the target is (a file whose bytes match one), or null. */
  recordId: string | null;
  /**
   * Record targets only (a file names no record): a prescription's dispense, null when not
   * dispensed; absent for other types (CONTRACT.md § Void and dispense).
   */
  dispensed?: { by: string; at: string; txHash: string } | null;
  /** Record targets only: the void (entered in error), or null. */
  voided?: { by: string; reason: string; at: string; txHash: string } | null;
}

const iso = (at: number) => new Date(at * 1000).toISOString();
const dispenseOf = (d: DispenseInfo | null) => (d ? { by: d.by, at: iso(d.at), txHash: d.txHash } : null);
const voidOf = (v: VoidInfo | null) => (v ? { by: v.by, reason: v.reason, at: iso(v.at), txHash: v.txHash } : null);

interface Signed {
  author: string;
  patient: string;
  signedAt: number;
  sha256: string;
  type: string;
  title: string | null;
  /** Block time of RecordAdded when the target is a registered record. */
  addedAt?: number;
  recordId?: string;
  chainState?: Pick<VerifyOutcome, 'dispensed' | 'voided'>;
}

async function signedRecord(s: With<'me' | 'chain'> & { store?: With<'store'>['store'] }, id: bigint): Promise<Signed> {
  const rec = await getRecord(s.chain, id);
  await checkReadAccess(s.chain, s.me.profile.address, rec);
  if (!s.store) throw new Error('verifyRecord: a record id needs the store');
  const r = await openRecord({ ...s, store: s.store }, rec, null);
  return {
    author: r.author,
    patient: r.patient,
    sha256: r.sha256,
    type: r.type,
    title: r.title,
    signedAt: Date.parse(r.createdAt!) / 1000,
    addedAt: rec.createdAt,
    recordId: rec.id.toString(),
    // The signed type, which fetch checked against the chain slot where the key is held.
    chainState: { ...(r.type === 'prescription' ? { dispensed: dispenseOf(rec.dispensed) } : {}), voided: voidOf(rec.voided) },
  };
}

async function signedFile(s: With<'me' | 'chain'>, path: string): Promise<Signed> {
  const identities = [s.me.age.identity];
  let res;
  try {
    res = await verifyBundle({ input: path, identities });
  } catch (e) {
    if (!(e instanceof NoMatchingIdentityError)) throw e;
    // A `fetch --raw` copy of a delivered record: its key is kept beside it (FORMAT.md § 6).
    const fileKey = await readRawKey(path, identities);
    if (!fileKey) throw notAddressed(path, e);
    try {
      res = await verifyBundle({ input: path, identities, fileKey });
    } finally {
      fileKey.fill(0);
    }
  }
  if (!res.signed)
    throw new IntegrityError(`${path} is not signed`, { hint: 'it is a plain age file, not an emr bundle: nobody vouches for its author' });
  const m = res.metadata;
  const out: Signed = {
    author: res.author,
    patient: m.patient,
    signedAt: m.createdAt,
    sha256: res.sha256,
    type: m.type,
    title: m.title ?? null,
  };
  const rec = await registeredAs(s, path, res.author, m.patient);
  if (rec) Object.assign(out, { addedAt: rec.createdAt, recordId: rec.id.toString() });
  return out;
}

/**
 * The registered record whose content is these bytes (same author and patient, its root
 * digest now or before a re-key), or undefined: its RecordAdded block time is a trusted date.
 */
async function registeredAs(s: With<'chain'>, path: string, author: string, patient: string): Promise<RecordInfo | undefined> {
  const { digest } = await importFile(path, { put: async (cid) => cid });
  const want = `0x${Buffer.from(digest).toString('hex')}`;
  const recs = await listRecords(s.chain, { patient, author });
  return recs.find(
    (r) => r.digest === want || (r.originalCid !== null && `0x${Buffer.from(digestOfCid(r.originalCid)).toString('hex')}` === want),
  );
}

export async function verifyRecord(
  s: With<'me' | 'chain'> & { store?: With<'store'>['store'] },
  target: VerifyTarget,
): Promise<VerifyOutcome> {
  const r = target.kind === 'record' ? await signedRecord(s, target.id) : await signedFile(s, target.path);
  // Issue 20 point 5: never the author's own date. A registered record: the block that added
  // it; else a time the caller trusts; else now (every verify/suspend event so far counts).
  const givenAt = target.kind === 'file' ? target.at : undefined;
  const [at, when]: [AuthorityAt, number] =
    r.addedAt !== undefined
      ? ['record-added', r.addedAt]
      : givenAt
        ? ['given', Math.floor(givenAt.getTime() / 1000)]
        : ['now', Number.POSITIVE_INFINITY];
  const auth = await authorityAt(s.chain, r.author, r.patient, when);
  return {
    target: target.given,
    signatureValid: true,
    author: r.author,
    patient: r.patient,
    type: r.type,
    title: r.title,
    sha256: r.sha256,
    signedAt: new Date(r.signedAt * 1000).toISOString(),
    authorAuthorized: auth.ok,
    authority: auth.reason,
    authorityAt: at,
    authorityTime: Number.isFinite(when) ? new Date(when * 1000).toISOString() : null,
    recordId: r.recordId ?? null,
    ...r.chainState,
  };
}
