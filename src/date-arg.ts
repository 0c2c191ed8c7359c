/**
 * A date given on the command line (`record list --since`, `audit --until`, `report
 * disclosures --since`; docs/CLI.md § Records, `record list`): `YYYY-MM-DD` (UTC; as an upper
 * bound, the whole day) or an ISO 8601 date-time (UTC unless an offset is given). One parser,
 * so every command reads the same dates the same way.
 */
import { UsageError } from './errors.js';

/** Unix seconds for `v`; a bad date is a UsageError naming `flag` (exit 2). */
export function parseDateArg(v: string, flag: string, endOfDay: boolean): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ms = Date.parse(dateOnly ? `${v}T00:00:00Z` : v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms))
    throw new UsageError(`${flag}: not a date`, { hint: 'use YYYY-MM-DD or an ISO 8601 date-time (UTC unless an offset is given)' });
  return Math.floor(ms / 1000) + (dateOnly && endOfDay ? 86_399 : 0);
}
