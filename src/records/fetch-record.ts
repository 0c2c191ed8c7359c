/**
 * `emr fetch <id>`, the whole use case (docs/CLI.md § Records; docs/SHARING.md § 3): check
 * the reader may read it now, fetch and verify (or keep the CID-verified ciphertext with
 * --raw), say whether a later correction supersedes it (docs/FHIR.md § 5), then post the
 * read receipt. Plaintext reaches its target only after every check passed (fetch.ts).
 */
import { rmSync } from 'node:fs';
import { logAccess } from '../chain/log-access.js';
import { logAccessVia } from '../chain/org.js';
import { getRecord, type VoidInfo } from '../chain/records.js';
import type { With } from '../session/index.js';
import { type Unlocked, unlock } from '../session/unlock.js';
import {
  checkReadAccess,
  type FetchedRecord,
  type FetchTarget,
  fetchRaw,
  fetchRecord,
  keepDeliveredKey,
  rawPath,
  refuseOverwrite,
} from './fetch.js';
import { rawKeyPath } from './raw-key.js';
import { findSupersededBy } from './supersede.js';

export interface FetchInput {
  id: bigint;
  target: FetchTarget;
  /** Keep the ciphertext, skip decryption (no key needed unless a receipt is posted). */
  raw: boolean;
  /**
   * Post the on-chain read receipt (the session's chain then signs): true (`--receipt`),
   * false (`--no-receipt`), or undefined for the default of docs/SHARING.md § 5 — a receipt
   * when someone other than the patient decrypts, none for the patient reading their own
   * record or for a `--raw` copy (receipts are for other readers: issue 22 point 9).
   */
  receipt?: boolean;
}

export type FetchOutcome = (Omit<FetchedRecord, 'receiptTx'> | (FetchRawOutcome & { raw: true })) & {
  receiptTx: string | null;
  supersededBy?: string;
  /** The org the reader read through (SHARING.md § 9.4), when no grant of its own covered it. */
  viaOrg?: string;
  /** Entered in error (CONTRACT.md § Void and dispense): still fetched, with a warning; null when not voided. */
  voided: { by: string; reason: string; at: string; txHash: string } | null;
};

const voidOf = (v: VoidInfo | null): FetchOutcome['voided'] =>
  v ? { by: v.by, reason: v.reason, at: new Date(v.at * 1000).toISOString(), txHash: v.txHash } : null;

interface FetchRawOutcome {
  id: string;
  path: string;
  sha256: string;
  author: string;
  patient: string;
  cid: string;
  signatureValid: null;
  /** The delivered file key kept beside the copy (docs/FORMAT.md § 6), or null when the copy opens on its own. */
  keyFile: string | null;
}

/** The key a fetch needs: to decrypt, or to sign a receipt; `--raw` without `--receipt` needs none. */
export const fetchNeedsKey = (input: Pick<FetchInput, 'raw' | 'receipt'>): boolean => !input.raw || input.receipt === true;

/** Whether a receipt may be posted, known before the record is: the session then gets a signer. */
export const fetchMaySign = (input: Pick<FetchInput, 'raw' | 'receipt'>): boolean => input.receipt ?? !input.raw;

/** docs/SHARING.md § 5: the default — another reader decrypting leaves a receipt; the patient, or a --raw copy, none. */
export function wantsReceipt(input: Pick<FetchInput, 'raw' | 'receipt'>, reader: string, patient: string): boolean {
  return input.receipt ?? (!input.raw && reader.toLowerCase() !== patient.toLowerCase());
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export async function fetchOne(s: With<'chain' | 'store'> & { me?: Unlocked }, input: FetchInput): Promise<FetchOutcome> {
  const reader = s.me?.profile.address ?? s.ctx.profile().address;
  const rec = await getRecord(s.chain, input.id);
  const via = await checkReadAccess(s.chain, reader, rec);
  let data: FetchOutcome;
  if (input.raw) {
    const t = input.target;
    // A reader other than the patient and the author may hold the key by delivery only:
    // it is kept beside a file copy (docs/FORMAT.md § 6), so that copy needs the reader's key.
    const mayNeedKey = t.kind !== 'stdout' && !sameAddress(reader, rec.patient) && !sameAddress(reader, rec.author);
    if (mayNeedKey) refuseOverwrite(rawKeyPath(rawPath(rec, t)), t.force);
    const saved = await fetchRaw(s.store, rec, t);
    let keyFile: string | null = null;
    if (mayNeedKey) {
      try {
        keyFile = await keepDeliveredKey({ chain: s.chain, store: s.store, me: s.me ?? (await unlock(s.ctx)) }, rec, saved.path, t.force);
      } catch (e) {
        rmSync(saved.path, { force: true }); // a copy that cannot be kept openable is not kept
        throw e;
      }
    }
    data = {
      keyFile,
      id: rec.id.toString(),
      ...saved,
      author: rec.author,
      patient: rec.patient,
      cid: rec.cid,
      signatureValid: null,
      raw: true,
      receiptTx: null,
      voided: voidOf(rec.voided),
    };
  } else {
    const me = s.me;
    if (!me) throw new Error('fetchOne: decrypting needs an unlocked session');
    data = {
      ...(await fetchRecord({ chain: s.chain, store: s.store, me }, rec, input.target)),
      receiptTx: null,
      voided: voidOf(rec.voided),
    };
    // The record is already verified and written: a failure here only leaves it unknown.
    const supersededBy = await findSupersededBy({ home: s.home, chain: s.chain, store: s.store, me }, rec).catch(() => undefined);
    if (supersededBy) data.supersededBy = supersededBy;
  }
  if (wantsReceipt(input, reader, rec.patient))
    data.receiptTx = (
      via === undefined
        ? await logAccess(s.chain, { recordId: rec.id, patient: rec.patient, recordType: rec.recordType })
        : // SHARING.md § 9.4: a member's receipt names the org it reads through.
          await logAccessVia(s.chain, { recordId: rec.id, patient: rec.patient, recordType: rec.recordType, org: via })
    ).txHash;
  if (via !== undefined) data.viaOrg = via.toString();
  return data;
}
