/**
 * Clinical metadata given on the command line (docs/FORMAT.md § 3.4) and the checks on
 * an amendment (`--supersedes`, docs/FHIR.md § 5): the record corrected must exist and be
 * of the same patient. Whether the author may write is checked with the new record.
 */

import { getRecord } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';
import { UsageError } from '../errors.js';
import { typeName } from '../record-types.js';
import type { ClinicalMeta } from './add.js';

const DATE = /^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$/;

export function clinicalOptions(o: {
  supersedes?: string;
  facility?: string;
  encounterStart?: string;
  encounterEnd?: string;
  mrn?: string;
}): ClinicalMeta {
  const c: ClinicalMeta = {};
  if (o.supersedes !== undefined) {
    if (!/^(0|[1-9][0-9]{0,19})$/.test(o.supersedes))
      throw new UsageError(`--supersedes: '${o.supersedes.slice(0, 40)}' is not a record id`, {
        hint: 'pass the decimal id shown by `emr record list`',
      });
    c.supersedes = o.supersedes;
  }
  for (const [k, flag] of [
    ['encounterStart', '--encounter-start'],
    ['encounterEnd', '--encounter-end'],
  ] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (!DATE.test(v)) throw new UsageError(`${flag}: not an ISO 8601 date`, { hint: 'e.g. 2026-11-21 or 2026-11-21T09:30:00Z' });
    c[k] = v;
  }
  if (c.encounterStart && c.encounterEnd && c.encounterEnd.slice(0, 10) < c.encounterStart.slice(0, 10)) {
    throw new UsageError('--encounter-end is before --encounter-start', { hint: 'swap them' });
  }
  for (const [k, flag] of [
    ['facility', '--facility'],
    ['mrn', '--mrn'],
  ] as const) {
    const v = o[k];
    if (v === undefined) continue;
    // Printed to terminals later: no control characters, and short.
    if (v.length === 0 || v.length > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(v))
      throw new UsageError(`${flag}: 1–256 printable characters`, { hint: 'no control characters or newlines' });
    c[k] = v;
  }
  return c;
}

/**
 * The record to supersede exists (exit 7) and belongs to the same patient (exit 2).
 * Returns its type index: a correction keeps the type (docs/FHIR.md § 5), so it reaches
 * the same grantees as the record it corrects.
 */
export async function checkSupersedes(chain: EmrChain, patient: string, id: string): Promise<number> {
  const rec = await getRecord(chain, id);
  if (rec.patient.toLowerCase() !== patient.toLowerCase()) {
    throw new UsageError(`record ${id} belongs to another patient`, {
      hint: 'a correction must name a record of the same patient (--patient)',
    });
  }
  return rec.recordType;
}

/** A correction must keep the type of the record it supersedes. */
export function assertSameType(supersededType: number, newType: number, id: string): void {
  if (supersededType !== newType) {
    throw new UsageError(`record ${id} is of type ${typeName(supersededType)}; a correction keeps the type`, {
      hint: `add it with --type ${typeName(supersededType)}`,
    });
  }
}

/** A string safe to print on a terminal: control characters shown as \uXXXX. */
export function printable(s: string | undefined | null): string | undefined {
  if (s === undefined || s === null) return undefined;
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
