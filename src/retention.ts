/**
 * Retention periods (docs/CLI.md § record list, "Retention"; STORAGE.md § Unpin, garbage
 * collection and erasure): how long a record of each type is kept at least, from the day
 * the chain registered it. A setting of this home (`emr config set retention
 * lab=10y,imaging=5y,*=30y`: the patient's, or the consortium's schedule a site imports with
 * `emr config import`). Past its period a record is shown as such, never deleted: only its
 * patient erases a record (`emr record erase`), and `store gc` removes no pinned block.
 */
import { UsageError } from './errors.js';
import { isRecordType } from './record-types.js';

const UNIT: Record<string, number> = { h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 };
const MAX_ENTRIES = 32;
/** `*`: every type the schedule does not name (and a slot the reader cannot name). */
export const ANY_TYPE = '*';

/** Checks one schedule as typed (`lab=10y,*=30y`) and returns it as stored. */
export function parseRetention(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (parts.length === 0 || parts.length > MAX_ENTRIES)
    throw new UsageError(`retention takes 1 to ${MAX_ENTRIES} entries type=period`, {
      hint: 'e.g. emr config set retention lab=10y,*=30y',
    });
  for (const p of parts) {
    const m = /^([a-z-]{1,32}|\*)=(\d{1,5})([hdwy])$/.exec(p);
    if (!m || (m[1] !== ANY_TYPE && !isRecordType(m[1]!)))
      throw new UsageError(`retention: '${p.slice(0, 64)}' is not type=period`, {
        hint: 'a type of `emr record types` (or *) and a period like 30d, 10y, 26w, 48h',
      });
    out[m[1]!] = `${Number(m[2])}${m[3]}`;
  }
  return out;
}

/** Seconds of each type's period; a stored value that does not parse is left out (a hand-edited file). */
export function retentionSchedule(stored: Record<string, unknown> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!stored || typeof stored !== 'object') return out;
  for (const [type, v] of Object.entries(stored).slice(0, MAX_ENTRIES)) {
    const m = typeof v === 'string' ? /^(\d{1,5})([hdwy])$/.exec(v) : null;
    if (m && (type === ANY_TYPE || isRecordType(type))) out.set(type, Number(m[1]) * UNIT[m[2]!]!);
  }
  return out;
}

/** Unix seconds until which a record of `type` registered at `createdAt` is kept, or null (no period). */
export function retainUntil(schedule: ReadonlyMap<string, number>, type: string, createdAt: number): number | null {
  const period = schedule.get(type) ?? schedule.get(ANY_TYPE);
  return period === undefined ? null : createdAt + period;
}
