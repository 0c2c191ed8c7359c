/**
 * `emr record list`, the whole use case (docs/CLI.md § Records; docs/FHIR.md § 6): whose
 * records (the acting profile's unless --patient/--author), the filters, and with `details`
 * the metadata the reader can open (list.ts).
 */

import { parseDateArg as parseDate } from '../date-arg.js';
import { UsageError } from '../errors.js';
import { retentionSchedule } from '../retention.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { storeFor } from '../session/store.js';
import type { Unlocked } from '../session/unlock.js';
import { checkType } from './add.js';
import { careWindow } from './care-dates.js';
import { type ListOptions, type ListResult, listRecordsFlow } from './list.js';
import { orgLabels } from './org-labels.js';
import { rememberRecordIds } from './recent-ids.js';

export const MAX_LIMIT = 1_000_000;

export interface ListInput extends Omit<ListOptions, 'patient' | 'author'> {
  /** As given: a 0x address or a local profile name. */
  patient?: string;
  author?: string;
  details: boolean;
}

/** The command's options as commander parses them (`emr record list --help`). */
export interface ListFlags {
  patient?: string;
  author?: string;
  type?: string;
  since?: string;
  until?: string;
  careSince?: string;
  careUntil?: string;
  limit?: string;
  details?: boolean;
  all?: boolean;
}

/** The options checked before any I/O (usage errors, exit 2); `defaultLimit` when no --limit. */
export function listInput(opts: ListFlags, defaultLimit: number | undefined): ListInput {
  const types = opts.type ? opts.type.split(',').map((t) => checkType(t.trim())) : undefined;
  const since = opts.since !== undefined ? parseDate(opts.since, '--since', false) : undefined;
  const until = opts.until !== undefined ? parseDate(opts.until, '--until', true) : undefined;
  let limit = defaultLimit;
  if (opts.limit !== undefined) {
    if (!/^[1-9]\d{0,6}$/.test(opts.limit) || Number(opts.limit) > MAX_LIMIT)
      throw new UsageError(`--limit: '${opts.limit.slice(0, 20)}' is not a count`, { hint: `a whole number from 1 to ${MAX_LIMIT}` });
    limit = Number(opts.limit);
  }
  const care = careWindow(opts);
  // A care-date filter reads the signed date inside each record: it implies --details.
  return {
    patient: opts.patient,
    author: opts.author,
    types,
    since,
    until,
    care,
    limit,
    details: !!opts.details || care !== undefined,
    all: !!opts.all,
  };
}

/** The fields of `record list --json`'s data that come from the flow (docs/CLI.md § Records). */
export function listData(res: ListResult) {
  return {
    records: res.records,
    total: res.total,
    more: res.more,
    voidedHidden: res.voidedHidden,
    ...(res.pastRetention !== undefined ? { pastRetention: res.pastRetention } : {}),
  };
}

/** The home's retention schedule (retention.ts) and the chain's clock, when there is one. */
async function retentionNow(s: With<'chain'>): Promise<Pick<ListOptions, 'retention'>> {
  const schedule = retentionSchedule(s.ctx.config.get('retention'));
  if (schedule.size === 0) return {};
  const latest = await s.chain.provider.getBlock('latest');
  return { retention: { schedule, now: latest?.timestamp ?? Math.floor(s.now().getTime() / 1000) } };
}

export async function recordListFlow(s: With<'chain'> & Partial<With<'store'>> & { me?: Unlocked }, input: ListInput): Promise<ListResult> {
  const patient = input.patient ? await resolveAddress(s.ctx, input.patient) : input.author ? undefined : s.ctx.profile().address;
  const author = input.author ? await resolveAddress(s.ctx, input.author) : undefined;
  const details = input.details && s.me && s.store ? { home: s.home, chain: s.chain, store: s.store, me: s.me } : undefined;
  const res = await listRecordsFlow(
    s.chain,
    {
      patient,
      author,
      types: input.types,
      since: input.since,
      until: input.until,
      care: input.care,
      limit: input.limit,
      all: input.all,
      // A grantee's type key is in a key delivery (CONTRACT.md § Privacy): the store is
      // opened only when a listed patient is not the reader.
      reader: { me: s.me, store: s.store, openStore: () => storeFor(s.ctx) },
      ...(await retentionNow(s)),
    },
    details,
  );
  // SHARING.md § 9.7: the org a record names, with the chain's name for it.
  const orgs = await orgLabels(
    s.chain,
    res.records.map((r) => r.org),
  );
  for (const r of res.records) if (r.org) r.orgName = orgs.get(r.org)?.name ?? null;
  // Newest first, for shell completion (recent-ids.ts).
  rememberRecordIds(
    s.home,
    [...res.records].reverse().map((r) => String(r.id)),
  );
  return res;
}
