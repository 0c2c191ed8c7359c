/**
 * `emr audit` narrowed (docs/CLI.md § Sharing, `emr audit`; issue 24 § 2): `--since`/`--until`
 * as a block number or a date (the date parser of `record list`), `--event <kinds>`,
 * `--actor <who>`, `--record <id>`, `--limit <n>`. Every value is checked here, before any
 * I/O (exit 2 with a hint); the filters work on the decoded rows (event names, addresses,
 * record ids), never on raw chain masks.
 */
import { AUDIT_KINDS } from '../audit-kinds.js';
import { parseDateArg } from '../date-arg.js';
import { UsageError } from '../errors.js';
import { didYouMean } from '../suggest.js';

/** What a filter reads of an audit row (records/audit.ts AuditRow). */
interface FilterRow {
  block: number;
  time: string;
  event: string;
  actor: string;
  recordId: string | null;
  details: Record<string, unknown>;
}

/** A bound: a block number, or Unix seconds. */
export type Bound = { block: number } | { time: number };

export interface AuditFilter {
  since?: Bound;
  until?: Bound;
  /** Kebab-case event names (`granted`, `record-accessed`). */
  events?: string[];
  /** As given (a profile name or an address); resolved by the flow. */
  actor?: string;
  record?: string;
  /** Keep the most recent n (after the other filters). */
  limit?: number;
}

export const EVENT_NAMES: readonly string[] = AUDIT_KINDS.map((k) => k.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase());
export const MAX_AUDIT_LIMIT = 1_000_000;

function bound(v: string, flag: string, upper: boolean): Bound {
  if (/^\d+$/.test(v)) {
    if (v.length > 15) throw new UsageError(`${flag}: block ${v.slice(0, 20)}… is out of range`, { hint: 'a block number below 10^15' });
    return { block: Number(v) };
  }
  try {
    return { time: parseDateArg(v, flag, upper) };
  } catch (e) {
    throw new UsageError(`${flag}: '${v.slice(0, 40)}' is neither a block number nor a date`, {
      hint: 'a block number (e.g. 120), YYYY-MM-DD, or an ISO 8601 date-time',
      cause: e,
    });
  }
}

/** The filter options, checked (usage errors, exit 2). */
export function auditFilter(opts: {
  since?: string;
  until?: string;
  event?: string;
  actor?: string;
  record?: string;
  limit?: string;
}): AuditFilter {
  const f: AuditFilter = {};
  if (opts.since !== undefined) f.since = bound(opts.since, '--since', false);
  if (opts.until !== undefined) f.until = bound(opts.until, '--until', true);
  if (f.since && f.until && 'block' in f.since === 'block' in f.until) {
    const a = 'block' in f.since ? f.since.block : f.since.time;
    const b = 'block' in f.until ? (f.until as { block: number }).block : (f.until as { time: number }).time;
    if (a > b) throw new UsageError('--since is after --until', { hint: 'swap them, or widen the window' });
  }
  if (opts.event !== undefined) {
    const kinds = opts.event.split(',').map((k) => k.trim().toLowerCase());
    for (const k of kinds)
      if (!EVENT_NAMES.includes(k))
        throw new UsageError(`--event: unknown event '${k.slice(0, 40)}'`, {
          hint: `${didYouMean(k, EVENT_NAMES).trim() || 'events:'} ${EVENT_NAMES.join(', ')}`,
        });
    f.events = kinds;
  }
  if (opts.actor !== undefined) f.actor = opts.actor;
  if (opts.record !== undefined) {
    if (!/^\d{1,20}$/.test(opts.record))
      throw new UsageError(`--record: '${opts.record.slice(0, 20)}' is not a record id`, {
        hint: 'a record id is a number, e.g. --record 12',
      });
    f.record = BigInt(opts.record).toString();
  }
  if (opts.limit !== undefined) {
    if (!/^[1-9]\d{0,6}$/.test(opts.limit) || Number(opts.limit) > MAX_AUDIT_LIMIT)
      throw new UsageError(`--limit: '${opts.limit.slice(0, 20)}' is not a count`, { hint: `a whole number from 1 to ${MAX_AUDIT_LIMIT}` });
    f.limit = Number(opts.limit);
  }
  return f;
}

/** The first block the chain must be asked from (a block --since), if any. */
export const fromBlockOf = (f: AuditFilter): number | undefined => (f.since && 'block' in f.since ? f.since.block : undefined);

/** Whether a row passes every filter but the limit; `actor` is the resolved address. */
export function rowMatches(r: FilterRow, f: AuditFilter, actor: string | undefined): boolean {
  const t = Date.parse(r.time) / 1000;
  const within = (b: Bound | undefined, upper: boolean) =>
    !b || ('block' in b ? (upper ? r.block <= b.block : r.block >= b.block) : upper ? t <= b.time : t >= b.time);
  if (!within(f.since, false) || !within(f.until, true)) return false;
  if (f.events && !f.events.includes(r.event)) return false;
  if (actor && r.actor.toLowerCase() !== actor.toLowerCase()) return false;
  if (f.record !== undefined) {
    const ids = Array.isArray(r.details.ids) ? (r.details.ids as unknown[]).map(String) : [];
    if (r.recordId !== f.record && !ids.includes(f.record)) return false;
  }
  return true;
}

/** The most recent `limit` of `rows` (all when no limit), in their order. */
export const limitRows = <T>(rows: T[], limit: number | undefined): T[] =>
  limit !== undefined && rows.length > limit ? rows.slice(rows.length - limit) : rows;
