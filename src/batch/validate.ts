/**
 * Whole-manifest validation before any work (MANIFEST.md § 4): each row's file exists
 * and is readable, its patient resolves to a registered patient, its type is known, the
 * author may write that type for that patient, and no row repeats another. Chain facts
 * are asked once per patient and once per (patient, type), never per row.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isEmrError } from '../errors.js';
import { typeIndex, RECORD_TYPES } from '../record-types.js';
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
}

export interface ValidateDeps {
  author: string;
  /** A 0x address or a local profile name → checksummed address (throws EmrError when unknown). */
  resolvePatient(who: string): Promise<string>;
  /** Registered on chain with the patient role. */
  isRegisteredPatient(address: string): Promise<boolean>;
  canWrite(patient: string, recordType: number): Promise<boolean>;
  /** MANIFEST.md § 3.1: the path to read for a row's file, or why it is refused (confine.ts). */
  confine?(file: string): { path: string } | { reason: string };
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
    const bytes = await readFile(path);
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

export async function validateRows(rows: ManifestRow[], deps: ValidateDeps): Promise<{ valid: ValidRow[]; problems: RowProblem[] }> {
  const problems: RowProblem[] = [];
  const valid: ValidRow[] = [];
  // Decided before any file is opened: a refused file is never read, not even to hash it.
  const target = new Map(rows.map((r) => [r, deps.confine ? deps.confine(r.file) : { path: r.file }]));
  const resolve = memo(async (who: string): Promise<string | { reason: string }> => {
    try {
      return await deps.resolvePatient(who);
    } catch (e) {
      if (isEmrError(e) && (e.code === 'NOT_FOUND' || e.code === 'USAGE')) return { reason: `unknown patient '${who}': ${e.message}` };
      throw e;
    }
  });
  const registered = memo((a: string) => deps.isRegisteredPatient(a));
  const writable = memo((k: string) => {
    const [p, t] = k.split('/');
    return deps.canWrite(p!, Number(t));
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
  let next = 0;
  const prefetch = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      const recordType = typeIndex(row.type);
      if (recordType === undefined) continue;
      try {
        const t = target.get(row)!;
        const hashed = 'path' in t ? content(t.path) : Promise.resolve();
        const who = await resolve(row.patient);
        if (typeof who === 'string' && (await registered(who))) await writable(`${who}/${recordType}`);
        await hashed;
      } catch {
        // see above
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PREFETCH_CONCURRENCY, rows.length) }, prefetch));

  const seen = new Map<string, number>();
  for (const row of rows) {
    const recordType = typeIndex(row.type);
    if (recordType === undefined) {
      problems.push({ line: row.line, reason: `unknown type '${row.type}' (one of: ${RECORD_TYPES.join(', ')})` });
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
    if (!(await writable(`${who}/${recordType}`))) {
      problems.push({ line: row.line, reason: `not allowed to add ${row.type} records for ${row.patient} (no live write grant, or provider not verified)` });
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
    const key = pendingKey({ patient: who, author: deps.author, type: row.type, sha256: c.sha256, title: row.title });
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ line: row.line, reason: `duplicate row: same patient, type, title and content as line ${first}` });
      continue;
    }
    seen.set(key, row.line);
    valid.push({ ...row, file: t.path, patientAddress: who, recordType, sha256: c.sha256, size: c.size, key });
  }
  problems.sort((a, b) => a.line - b.line);
  return { valid, problems };
}
