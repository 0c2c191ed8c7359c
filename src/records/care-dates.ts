/**
 * Dates of care as a filter (docs/CLI.md § record list, § history; docs/FHIR.md
 * § 11.1): `--care-since` / `--care-until` take `YYYY`, `YYYY-MM` or `YYYY-MM-DD` and compare
 * calendar days as the record writes them (a FHIR dateTime keeps its own offset: the day a
 * clinician wrote is the day a person asks about, never shifted to UTC). A partial date is
 * the whole period it names: `--care-since 2020 --care-until 2020` is all of 2020, and an
 * item dated only `2020` matches any window that overlaps 2020.
 */
import { UsageError } from '../errors.js';

export interface CareWindow {
  /** First day, `YYYY-MM-DD`, inclusive. */
  since?: string;
  /** Last day, `YYYY-MM-DD`, inclusive. */
  until?: string;
}

const DAY = /^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$/;

/** The first and last day a (partial) date names; `31` ends every month in string order. */
function span(day: string): [string, string] | undefined {
  const m = DAY.exec(day);
  if (!m) return undefined;
  const [, y, mo, d] = m;
  return [`${y}-${mo ?? '01'}-${d ?? '01'}`, `${y}-${mo ?? '12'}-${d ?? '31'}`];
}

export function careWindow(o: { careSince?: string; careUntil?: string }): CareWindow | undefined {
  if (o.careSince === undefined && o.careUntil === undefined) return undefined;
  const bound = (v: string, flag: string) => {
    const s = span(v);
    if (!s)
      throw new UsageError(`${flag}: '${v.slice(0, 40)}' is not a date`, {
        hint: 'use YYYY, YYYY-MM or YYYY-MM-DD (the day as the record writes it)',
      });
    return s;
  };
  const w: CareWindow = {};
  if (o.careSince !== undefined) w.since = bound(o.careSince, '--care-since')[0];
  if (o.careUntil !== undefined) w.until = bound(o.careUntil, '--care-until')[1];
  if (w.since && w.until && w.until < w.since) throw new UsageError('--care-until is before --care-since', { hint: 'swap them' });
  return w;
}

/** Whether a FHIR date (or dateTime) falls in the window; no date never matches a window. */
export function inCareWindow(date: string | undefined, w: CareWindow): boolean {
  if (!date) return false;
  const s = span(date.slice(0, 10).replace(/T.*$/, ''));
  if (!s) return false;
  return (w.since === undefined || s[1] >= w.since) && (w.until === undefined || s[0] <= w.until);
}
