/**
 * `emr verify <recordId|file>`, the whole use case (docs/CLI.md § Records): the author's
 * signature, and whether the author was a verified provider (or the patient) when the
 * record was signed. Writes no plaintext anywhere; the command turns `authorAuthorized:
 * false` into exit 4 with the data.
 */
import { type DispenseInfo, getRecord, type VoidInfo } from '../chain/records.js';
import { verifyBundle } from '../crypto/bundle.js';
import { IntegrityError } from '../errors.js';
import type { With } from '../session/index.js';
import { authorityAt } from './authority.js';
import { checkReadAccess, openRecord } from './fetch.js';

/** `given` is the argument as typed (echoed back as `target`). */
export type VerifyTarget = ({ kind: 'record'; id: bigint } | { kind: 'file'; path: string }) & { given: string };

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
  chainState?: Pick<VerifyOutcome, 'dispensed' | 'voided'>;
}

async function signedRecord(s: With<'me' | 'chain'> & { store?: With<'store'>['store'] }, id: bigint): Promise<Signed> {
  const rec = await getRecord(s.chain, id);
  await checkReadAccess(s.chain, s.me.profile.address, rec);
  if (!s.store) throw new Error('verifyRecord: a record id needs the store');
  const r = await openRecord({ chain: s.chain, store: s.store, me: s.me }, rec, null);
  return {
    author: r.author,
    patient: r.patient,
    sha256: r.sha256,
    type: r.type,
    title: r.title,
    signedAt: Date.parse(r.createdAt!) / 1000,
    chainState: { ...(rec.recordType === 3 ? { dispensed: dispenseOf(rec.dispensed) } : {}), voided: voidOf(rec.voided) },
  };
}

async function signedFile(s: With<'me'>, path: string): Promise<Signed> {
  const res = await verifyBundle({ input: path, identities: [s.me.age.identity] });
  if (!res.signed)
    throw new IntegrityError(`${path} is not signed`, { hint: 'it is a plain age file, not an emr bundle: nobody vouches for its author' });
  const m = res.metadata;
  return { author: res.author, patient: m.patient, signedAt: m.createdAt, sha256: res.sha256, type: m.type, title: m.title ?? null };
}

export async function verifyRecord(
  s: With<'me' | 'chain'> & { store?: With<'store'>['store'] },
  target: VerifyTarget,
): Promise<VerifyOutcome> {
  const r = target.kind === 'record' ? await signedRecord(s, target.id) : await signedFile(s, target.path);
  const auth = await authorityAt(s.chain, r.author, r.patient, r.signedAt);
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
    ...r.chainState,
  };
}
