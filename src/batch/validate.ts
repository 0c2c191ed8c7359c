/**
 * Whole-manifest validation before any work (MANIFEST.md § 4): each row's file exists
 * and is readable, its patient resolves to a registered patient, its type is known, the
 * author may write that type for that patient, and no row repeats another. Chain facts
 * are asked once per patient and once per (patient, type), never per row.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isEmrError } from '../errors.js';
import { readFhirFile } from '../fhir/detect.js';
import { recordFileName, splitFhir } from '../fhir/split.js';
import type { BundleSubject } from '../fhir/subject.js';
import { findFhirError } from '../fhir/validate.js';
import { forEachInFlight } from '../in-flight.js';
import { RECORD_TYPES, typeIndex } from '../record-types.js';
import type { ClinicalMeta } from '../records/add.js';
import { clinicalOptions } from '../records/clinical.js';
import { pendingKey } from '../records/pending.js';
import type { ManifestRow, RowProblem } from './manifest.js';

export interface ValidRow extends ManifestRow {
  /** Checksummed patient address. */
  patientAddress: string;
  recordType: number;
  /** SHA-256 of the plaintext (hex), as FORMAT.md signs it. */
  sha256: string;
  size: number;
  /** Identity of the record across runs: pendingKey(patient, author, type, sha256, title). */
  key: string;
  /** Encounter fields, signed inside the encryption (MANIFEST.md § 3.3). */
  clinical?: ClinicalMeta;
  /**
   * MANIFEST.md § 3.2: one record of a FHIR row (a Bundle gives one per type). `sha256` and
   * `size` are the record's content (not the file's); the job splits the file again and
   * takes part `part`, checking that hash, so no content is held between validation and use.
   */
  fhir?: {
    part: number;
    parts: number;
    name: string;
    careDate?: string;
    resources: { resourceType: string; id?: string }[];
    /** Whom the file is about (docs/FHIR.md § 3.3), checked against the site's patient index once the key is unlocked. */
    subject: BundleSubject;
  };
}

/** A FHIR row whose content is invalid: it fails alone, the other rows go on (MANIFEST.md § 3.2). */
export interface RejectedRow {
  line: number;
  key: string;
  fileName: string;
  patientAddress: string;
  code: 'USAGE' | 'PATIENT_MISMATCH';
  reason: string;
}

/** What validation asks about a row (MANIFEST.md § 4): the caller answers from the chain, the home and the manifest's place. */
export interface RowQuestions {
  author: string;
  /** A 0x address or a local profile name → checksummed address (throws EmrError when unknown). */
  resolvePatient(who: string): Promise<string>;
  /** Registered on chain with the patient role. */
  isRegisteredPatient(address: string): Promise<boolean>;
  canWrite(patient: string, recordType: number): Promise<boolean>;
  /** MANIFEST.md § 3.1: the path to read for a row's file, or why it is refused (confine.ts). */
  confine?(file: string): { path: string } | { reason: string };
  /** Aborted: stop between rows and throw its reason (the batch's unlock failed meanwhile, MANIFEST.md § 8). */
  signal?: AbortSignal;
}

/** Files up to this size are hashed from one read; larger ones are streamed. */
const READ_WHOLE_MAX = 1 << 20;

/**
 * Rows looked at concurrently before the ordered pass: chain questions and file hashes
 * overlap instead of waiting in line (ethers batches concurrent calls into one request;
 * one at a time, each waits out its 10 ms batch window: seconds for a 1,000-row job).
 */
const PREFETCH_CONCURRENCY = 16;

export async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  if (statSync(path).size <= READ_WHOLE_MAX) {
    // One synchronous read: through fs/promises a small file costs four thread-pool round
    // trips (open, fstat, read, close), more than hashing it (issue 26 § 2).
    const bytes = readFileSync(path);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  }
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

/** A Map-backed memo of async lookups, so each distinct question is asked once. */
function memo<K, V>(fn: (k: K) => Promise<V>): (k: K) => Promise<V> {
  const m = new Map<K, Promise<V>>();
  return (k) => {
    let p = m.get(k);
    if (!p) m.set(k, (p = fn(k)));
    return p;
  };
}

export async function validateRows(
  rows: ManifestRow[],
  ask: RowQuestions,
): Promise<{ valid: ValidRow[]; problems: RowProblem[]; rejected: RejectedRow[] }> {
  const problems: RowProblem[] = [];
  const rejected: RejectedRow[] = [];
  const valid: ValidRow[] = [];
  // Decided before any file is opened: a refused file is never read, not even to hash it.
  const target = new Map(rows.map((r) => [r, ask.confine ? ask.confine(r.file) : { path: r.file }]));
  const resolve = memo(async (who: string): Promise<string | { reason: string }> => {
    try {
      return await ask.resolvePatient(who);
    } catch (e) {
      if (isEmrError(e) && (e.code === 'NOT_FOUND' || e.code === 'USAGE')) return { reason: `unknown patient '${who}': ${e.message}` };
      throw e;
    }
  });
  const registered = memo((a: string) => ask.isRegisteredPatient(a));
  const writable = memo((k: string) => {
    const [p, t] = k.split('/');
    return ask.canWrite(p!, Number(t));
  });
  const content = memo(async (path: string): Promise<{ sha256: string; size: number } | { code: string | undefined }> => {
    try {
      if (!statSync(path).isFile()) throw new Error('not a regular file');
      return await sha256File(path);
    } catch (e) {
      return { code: (e as NodeJS.ErrnoException).code };
    }
  });
  // Ask every question first, concurrently and in the order the pass below will; the pass
  // then finds them answered. A failure here is dropped: the pass meets it again (memo)
  // at the row that needs it, and decides there.
  await forEachInFlight(
    rows,
    PREFETCH_CONCURRENCY,
    async (row) => {
      const recordType = typeIndex(row.type);
      if (recordType === undefined && row.type !== '') return;
      try {
        const t = target.get(row)!;
        const hashed = 'path' in t ? content(t.path) : Promise.resolve();
        const who = await resolve(row.patient);
        if (typeof who === 'string' && (await registered(who)) && recordType !== undefined) await writable(`${who}/${recordType}`);
        await hashed;
      } catch {
        // see above
      }
    },
    ask.signal,
  );
  ask.signal?.throwIfAborted();

  const seen = new Map<string, number>();
  const unique = (key: string, line: number): boolean => {
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ line, reason: `duplicate row: same patient, type, title and content as line ${first}` });
      return false;
    }
    seen.set(key, line);
    return true;
  };
  for (const row of rows) {
    ask.signal?.throwIfAborted();
    const recordType = typeIndex(row.type);
    if (recordType === undefined && row.type !== '') {
      problems.push({ line: row.line, reason: `unknown type '${row.type}' (one of: ${RECORD_TYPES.join(', ')})` });
      continue;
    }
    const clinical = encounterOf(row);
    if (typeof clinical === 'string') {
      problems.push({ line: row.line, reason: clinical });
      continue;
    }
    const who = await resolve(row.patient);
    if (typeof who !== 'string') {
      problems.push({ line: row.line, reason: who.reason });
      continue;
    }
    if (!(await registered(who))) {
      problems.push({ line: row.line, reason: `patient ${row.patient} is not registered on chain as a patient` });
      continue;
    }
    if (recordType !== undefined && !(await writable(`${who}/${recordType}`))) {
      problems.push({
        line: row.line,
        reason: `not allowed to add ${row.type} records for ${row.patient} (no live write grant, or provider not verified)`,
      });
      continue;
    }
    const t = target.get(row)!;
    if ('reason' in t) {
      problems.push({ line: row.line, reason: `${row.fileName}: ${t.reason}` });
      continue;
    }
    const c = await content(t.path);
    if ('code' in c) {
      problems.push({ line: row.line, reason: c.code === 'ENOENT' ? `missing file ${row.fileName}` : `cannot read file ${row.fileName}` });
      continue;
    }
    const fhir = await fhirRow(row, t.path, who, c.sha256, clinical, ask.author, writable);
    if (fhir === undefined) {
      if (recordType === undefined) {
        problems.push({ line: row.line, reason: `missing type (only a FHIR JSON file has its type inferred)` });
        continue;
      }
      const key = pendingKey({ patient: who, author: ask.author, type: row.type, sha256: c.sha256, title: row.title });
      if (!unique(key, row.line)) continue;
      valid.push({
        ...row,
        file: t.path,
        patientAddress: who,
        recordType,
        sha256: c.sha256,
        size: c.size,
        key,
        ...(clinical ? { clinical } : {}),
      });
    } else if ('problem' in fhir) {
      problems.push({ line: row.line, reason: fhir.problem });
    } else if ('rejected' in fhir) {
      rejected.push(fhir.rejected);
    } else {
      // All parts of a row, or none: a duplicate part makes the whole row invalid.
      const keys = new Set<string>();
      const dup = fhir.parts.find((p) => seen.has(p.key) || keys.has(p.key) || !keys.add(p.key));
      if (dup) {
        unique(dup.key, row.line);
        continue;
      }
      for (const p of fhir.parts) seen.set(p.key, row.line);
      valid.push(...fhir.parts);
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { valid, problems, rejected };
}

/** MANIFEST.md § 3.3: the encounter columns, checked by `record add`'s own rules (records/clinical.ts); a reason when invalid. */
function encounterOf(row: ManifestRow): ClinicalMeta | undefined | string {
  if (!row.encounter) return undefined;
  try {
    return clinicalOptions(row.encounter);
  } catch (e) {
    if (!isEmrError(e)) throw e;
    // `record add`'s flag names → the column names of a manifest.
    return e.message.replace(/^--([a-z-]+)/, (_m, f: string) => f.replace(/-([a-z])/g, (_x, c: string) => c.toUpperCase()));
  }
}

type FhirOutcome = { problem: string } | { rejected: RejectedRow } | { parts: ValidRow[] };

/**
 * MANIFEST.md § 3.2: a row whose file is FHIR R4 JSON (docs/FHIR.md § 1), as `record add`
 * takes it: validated, then split one record per type (docs/FHIR.md § 3). undefined: not
 * FHIR. Manifest mistakes (a type or title on a Bundle, a type the author may not write)
 * are `problem`s like any invalid row; invalid FHIR content is `rejected`: that row fails.
 */
async function fhirRow(
  row: ManifestRow,
  path: string,
  patient: string,
  fileSha256: string,
  clinical: ClinicalMeta | undefined,
  author: string,
  writable: (k: string) => Promise<boolean>,
): Promise<FhirOutcome | undefined> {
  let res: ReturnType<typeof readFhirFile>;
  try {
    res = readFhirFile(path);
  } catch (e) {
    if (!isEmrError(e)) throw e;
    return { problem: `${row.fileName}: ${e.message}` };
  }
  if (!res) return undefined;
  const isBundle = res.resourceType === 'Bundle';
  if (isBundle && row.type !== '')
    return { problem: `type does not apply to a FHIR Bundle (${row.fileName} is split by resource type): leave it empty` };
  if (isBundle && row.title !== undefined)
    return { problem: `title does not apply to a FHIR Bundle (each record gets its own): leave it empty` };
  if (row.mediaType !== undefined && row.mediaType !== 'application/fhir+json')
    return { problem: `mediaType of a FHIR file is application/fhir+json: leave it empty` };
  const reject = (reason: string): FhirOutcome => ({
    rejected: {
      line: row.line,
      key: pendingKey({ patient, author, type: 'fhir', sha256: fileSha256, title: row.title }),
      fileName: row.fileName,
      patientAddress: patient,
      code: 'USAGE',
      reason,
    },
  });
  const bad = findFhirError(res);
  if (bad) return reject(`invalid FHIR R4 in ${row.fileName}: ${bad.path}: ${bad.message}`);
  let split: ReturnType<typeof splitFhir>;
  try {
    split = splitFhir(res);
  } catch (e) {
    if (!isEmrError(e)) throw e;
    return reject(`${row.fileName}: ${e.message}`);
  }
  if (split.records.length === 0) return reject(`${row.fileName} holds no clinical resource to store (docs/FHIR.md § 3)`);
  const parts: ValidRow[] = [];
  for (const [i, r] of split.records.entries()) {
    const type = row.type !== '' ? row.type : r.type;
    const recordType = typeIndex(type);
    if (recordType === undefined) return { problem: `unknown type '${type}'` };
    // The author MUST be allowed to write every type the file produces (docs/FHIR.md § 3).
    if (!(await writable(`${patient}/${recordType}`))) {
      return {
        problem: `not allowed to add ${type} records for ${row.patient}, which ${row.fileName} holds (no live write grant, or provider not verified)`,
      };
    }
    const title = row.title ?? r.title;
    const sha256 = createHash('sha256').update(r.content).digest('hex');
    parts.push({
      ...row,
      file: path,
      type,
      title,
      mediaType: 'application/fhir+json',
      patientAddress: patient,
      recordType,
      sha256,
      size: r.content.length,
      key: pendingKey({ patient, author, type, sha256, title }),
      clinical: { ...clinical, fhir: '4.0.1', ...(r.careDate && !clinical?.careDate ? { careDate: r.careDate } : {}) },
      fhir: {
        part: i,
        parts: split.records.length,
        name: join(dirname(path), recordFileName(row.fileName, r)),
        ...(r.careDate ? { careDate: r.careDate } : {}),
        resources: r.resources,
        subject: split.subject,
      },
    });
  }
  return { parts };
}
