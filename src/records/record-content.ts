/**
 * A record's verified content, in memory, for the views that read it (docs/FHIR.md § 11:
 * `emr history`, `emr record show`). The record is decrypted and every check of `fetch`
 * runs (signature, author, patient, type, chain and contract: fetch.ts) before a byte is
 * kept; nothing is written outside a private temporary directory, which is removed.
 */
import { Writable } from 'node:stream';
import type { RecordInfo } from '../chain/records.js';
import { IntegrityError } from '../errors.js';
import type { Only } from '../session/index.js';
import { type FetchedRecord, fetchRecord } from './fetch.js';

/** Largest record whose content is kept to be read as FHIR (memory bound; FHIR.md § 1). */
export const MAX_VIEW_RECORD = 64 * 1024 * 1024;

export interface RecordContent {
  opened: Omit<FetchedRecord, 'receiptTx'>;
  /** The plaintext size in bytes. */
  size: number;
  /** The plaintext, or undefined when larger than MAX_VIEW_RECORD. The caller zeroes it. */
  content?: Buffer;
}

export async function readRecordContent(s: Only<'chain' | 'store' | 'me'>, rec: RecordInfo): Promise<RecordContent> {
  const parts: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      size += c.length;
      if (size <= MAX_VIEW_RECORD) parts.push(Buffer.from(c));
      else for (const p of parts.splice(0)) p.fill(0);
      cb();
    },
  });
  const opened = await fetchRecord(s, rec, { kind: 'stdout', stream: sink });
  const content = size <= MAX_VIEW_RECORD ? Buffer.concat(parts) : undefined;
  for (const p of parts) p.fill(0);
  return { opened, size, ...(content ? { content } : {}) };
}

/** The parsed JSON of a record signed as FHIR (`fhir` in its metadata); malformed is INTEGRITY. */
export function parseFhirContent(id: string, content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch (e) {
    throw new IntegrityError(`record ${id} is marked FHIR but is not JSON`, {
      hint: 'the author signed a malformed FHIR record',
      cause: e,
    });
  }
}
