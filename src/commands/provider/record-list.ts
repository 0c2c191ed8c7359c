/**
 * `emr record list [--patient] [--author] [--type] [--since] [--until] [--limit] [--details]`
 * (docs/CLI.md § Records; docs/FHIR.md § 6): from chain events; `--details` decrypts the
 * metadata the reader can open (cached, encrypted to the profile).
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

/** Rows a person sees without --limit (scripts with --json get everything). */
export const HUMAN_DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000_000;

function parseDate(v: string, flag: string, endOfDay: boolean): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ms = Date.parse(dateOnly ? `${v}T00:00:00Z` : v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms)) throw new UsageError(`${flag}: not a date`, { hint: 'use YYYY-MM-DD or an ISO 8601 date-time (UTC unless an offset is given)' });
  return Math.floor(ms / 1000) + (dateOnly && endOfDay ? 86_399 : 0);
}

interface Opts { patient?: string; author?: string; type?: string; since?: string; until?: string; limit?: string; details?: boolean }

export const recordList = defineCommand({
  name: 'list',
  summary: 'list registered records (of a patient, or that you authored or own)',
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name (default: the acting profile)' },
    { flags: '--author <who>', description: 'only records by this author' },
    { flags: '--type <types>', description: 'only these record types (comma-separated)' },
    { flags: '--since <date>', description: 'only records registered on or after this date (YYYY-MM-DD or ISO 8601)' },
    { flags: '--until <date>', description: 'only records registered on or before this date' },
    { flags: '--limit <n>', description: `show the n most recent matching records (default ${HUMAN_DEFAULT_LIMIT} for people; all with --json)` },
    { flags: '--details', description: 'decrypt the metadata you can open: title, date of care, file name, encounter, corrections' },
  ],
  examples: ['emr record list --type lab,imaging --since 2026-01-01 --details', 'emr record list --patient alice --limit 500 --json'],
  async run(ctx, _args, opts: Opts) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { checkType } = await import('../../records/add.js');
    const { listRecordsFlow } = await import('../../records/list.js');
    const { printable } = await import('../../records/clinical.js');
    const types = opts.type ? opts.type.split(',').map((t) => checkType(t.trim())) : undefined;
    const since = opts.since !== undefined ? parseDate(opts.since, '--since', false) : undefined;
    const until = opts.until !== undefined ? parseDate(opts.until, '--until', true) : undefined;
    let limit: number | undefined;
    if (opts.limit !== undefined) {
      if (!/^[1-9]\d{0,6}$/.test(opts.limit) || Number(opts.limit) > MAX_LIMIT) throw new UsageError(`--limit: '${opts.limit.slice(0, 20)}' is not a count`, { hint: `a whole number from 1 to ${MAX_LIMIT}` });
      limit = Number(opts.limit);
    } else if (!ctx.json) limit = HUMAN_DEFAULT_LIMIT;
    const chain = await chainFor(ctx);
    const patient = opts.patient ? await resolveAddress(ctx, opts.patient) : opts.author ? undefined : ctx.profile().address;
    const author = opts.author ? await resolveAddress(ctx, opts.author) : undefined;
    let detailDeps;
    if (opts.details) {
      const { unlock } = await import('../../session/unlock.js');
      const { storeFor } = await import('../../session/store.js');
      detailDeps = { home: ctx.home, chain, store: await storeFor(ctx), me: await unlock(ctx) };
    }
    const res = await listRecordsFlow(chain, { patient, author, types, since, until, limit }, detailDeps);
    // Known names: local profiles (addresses are public; names are the user's own labels).
    const name = (a: string) => ctx.profiles.byAddress(a)?.name ?? a.slice(0, 10) + '…';
    const rows = res.records.map((r) => {
      const base = [r.id, r.createdAt.replace('.000Z', 'Z'), r.type, name(r.patient), name(r.author)];
      if (!opts.details) return [...base, r.cid];
      const status = r.supersededBy ? `superseded by ${r.supersededBy}` : r.supersedes ? `corrects ${r.supersedes}` : r.readable === false ? '(cannot open)' : '';
      return [...base, r.date?.slice(0, 10), printable(r.title ?? undefined), printable(r.fileName ?? undefined), status];
    });
    const lines = res.more > 0 ? [`${res.more} more; use --limit ${Math.min(res.total, MAX_LIMIT)} or filters`] : [];
    return {
      data: { records: res.records, total: res.total, more: res.more },
      view: {
        table: { columns: opts.details ? ['ID', 'CREATED', 'TYPE', 'PATIENT', 'AUTHOR', 'CARE DATE', 'TITLE', 'FILE', 'STATUS'] : ['ID', 'CREATED', 'TYPE', 'PATIENT', 'AUTHOR', 'CID'], rows },
        lines,
      },
    };
  },
});
