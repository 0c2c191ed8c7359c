/**
 * `emr history`, the whole use case (docs/CLI.md § history; docs/FHIR.md § 11): a
 * patient's records as they happened, one item per dated clinical resource (an encounter,
 * a lab value, a diagnosis, a vaccine) from every record the acting profile may read,
 * oldest first. Each record is verified like `fetch` before its content is used; what it
 * yields is kept in the profile's encrypted details cache (meta-cache.ts), so a second
 * history decrypts nothing again. Takes a session, returns plain data (the web view calls
 * it too).
 */
import { mayReadRecord } from '../chain/grants.js';
import type { RecordInfo } from '../chain/records.js';
import { listRecords } from '../chain/records.js';
import type { BundleMetadata } from '../crypto/bundle-format.js';
import { V3_FIELDS } from '../crypto/bundle-format.js';
import { AccessDeniedError, IntegrityError } from '../errors.js';
import { compareItems, dayOf, type HistoryItem, historyItemOf, isNotHistory, resourcesOf } from '../fhir/summary.js';
import { forEachInFlight } from '../in-flight.js';
import type { TypeSlots } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { checkType } from './add.js';
import { type CareWindow, careWindow, inCareWindow } from './care-dates.js';
import type { FetchedRecord } from './fetch.js';
import { type CachedMeta, MetaCache } from './meta-cache.js';
import { type OrgLabel, orgLabels, orgText } from './org-labels.js';
import { parseFhirContent, readRecordContent } from './record-content.js';
import { slotsFor, vocabularyIndex } from './type-keys.js';

/** Version of the summary rules (src/fhir/summary.ts) the cached items were made with. */
export const HISTORY_RULES_V = 2;
/** Most items one history returns (a bound on memory and output; docs/FHIR.md § 11.5). */
export const MAX_HISTORY_ITEMS = 100_000;
const CONCURRENCY = 4;

export interface HistoryInput {
  /** As given: a 0x address or a local profile name (default: the acting profile). */
  patient?: string;
  types?: number[];
  care?: CareWindow;
  /** Also the items of superseded and voided records, marked. */
  all: boolean;
}

export interface TimelineItem extends Omit<HistoryItem, 'resourceType'> {
  /** Absent for a non-FHIR file (one item from its signed metadata). */
  resourceType?: string;
  /** The record the item comes from (`emr record show <record>`). */
  record: string;
  recordType: string;
  /** `care`: a date of care; `filed`: a file with none, dated when it was signed. */
  dateIs: 'care' | 'filed';
  /** With --all: the later correction that replaces this item's record. */
  supersededBy?: string;
  /** With --all: the record was voided (entered in error) on chain; `reason` is untrusted text. */
  voided?: { by: string; reason: string };
  /** The organisation the record names, signed (FORMAT.md § 3.5), with the chain's name (SHARING.md § 9.7). */
  org?: OrgLabel;
}

export interface HistoryResult {
  patient: string;
  items: TimelineItem[];
  /** Records read (opened and verified). */
  records: number;
  /** Records this profile may not read (left out). */
  unreadable: string[];
  /** Records that failed verification (left out; `emr verify <id>` says why). */
  damaged: string[];
  /** Resources in the records read without a date of care (not on a timeline). */
  undated: number;
  /** Items of superseded records left out (shown with --all). */
  superseded: number;
  /** Voided (entered-in-error) records left out, not even read (shown with --all). */
  voidedHidden: number;
  /** More than MAX_HISTORY_ITEMS matched: the oldest are returned. */
  truncated: boolean;
  /** Records its patient erased (CONTRACT.md § Erasure): not read; the tombstone's date and author. */
  erased: Array<{ record: string; at: string; by: string }>;
}

/** The options checked before any I/O (usage errors, exit 2). */
export function historyInput(opts: {
  patient?: string;
  type?: string;
  careSince?: string;
  careUntil?: string;
  all?: boolean;
}): HistoryInput {
  const types = opts.type ? opts.type.split(',').map((t) => checkType(t.trim())) : undefined;
  return { patient: opts.patient, types, care: careWindow(opts), all: !!opts.all };
}

interface Read {
  rec: RecordInfo;
  entry: CachedMeta;
}

export async function historyFlow(s: With<'me' | 'chain' | 'store'>, input: HistoryInput): Promise<HistoryResult> {
  const patient = input.patient ? await resolveAddress(s.ctx, input.patient) : s.me.profile.address;
  let list = await listRecords(s.chain, { patient });
  const slots = await slotsFor(s, patient);
  if (input.types?.length) list = list.filter((r) => input.types!.includes(vocabularyIndex(slots, r.recordType) ?? -1));
  // Entered in error (docs/CLI.md § record void): not history unless --all asks.
  const matching = list.length;
  if (!input.all) list = list.filter((r) => !r.voided);
  const voidedHidden = matching - list.length;
  const cache = await MetaCache.open(s);
  // CONTRACT.md § Erasure: an erased record has no content to read; its cached items go.
  const erased = list
    .filter((r) => r.erased)
    .map((r) => {
      cache.drop([...r.pastCids, r.cid]);
      return { record: r.id.toString(), at: new Date(r.erased!.at * 1000).toISOString(), by: r.erased!.by };
    });
  list = list.filter((r) => !r.erased);
  const unreadable: string[] = [];
  const damaged: string[] = [];
  const read: Read[] = [];
  try {
    await forEachInFlight(list, CONCURRENCY, async (rec) => {
      // The chain decides who may read now: a cached entry never outlives a revocation.
      if (!(await mayReadRecord(s.chain, s.me.profile.address, rec))) {
        unreadable.push(rec.id.toString());
        return;
      }
      try {
        read.push({ rec, entry: await itemsOf(s, cache, rec) });
      } catch (e) {
        if (e instanceof AccessDeniedError) unreadable.push(rec.id.toString());
        else if (e instanceof IntegrityError) damaged.push(rec.id.toString());
        else throw e;
      }
    });
  } finally {
    await cache.save();
  }
  read.sort((a, b) => (a.rec.id < b.rec.id ? -1 : 1));
  const supersededBy = corrections(read);
  const orgs = await orgLabels(
    s.chain,
    read.map((r) => r.entry.meta.org),
  );
  let items: TimelineItem[] = [];
  let undated = 0;
  let superseded = 0;
  for (const { rec, entry } of read) {
    const id = rec.id.toString();
    const by = supersededBy.get(id);
    // A file dated only by its signing has no date of care: no care window holds it.
    const own = timelineOf(rec, entry, slots).filter((i) => !input.care || (i.dateIs === 'care' && inCareWindow(i.date, input.care)));
    if (by && !input.all) {
      superseded += own.length;
      continue;
    }
    undated += entry.history?.undated ?? 0;
    const voided = rec.voided ? { by: rec.voided.by, reason: rec.voided.reason } : undefined;
    const org = entry.meta.org !== undefined ? orgs.get(entry.meta.org) : undefined;
    items.push(...own.map((i) => ({ ...i, ...(by ? { supersededBy: by } : {}), ...(voided ? { voided } : {}), ...(org ? { org } : {}) })));
  }
  items.sort((a, b) => compareItems(a, b) || (BigInt(a.record) < BigInt(b.record) ? -1 : BigInt(a.record) > BigInt(b.record) ? 1 : 0));
  const truncated = items.length > MAX_HISTORY_ITEMS;
  if (truncated) items = items.slice(0, MAX_HISTORY_ITEMS);
  const ids = (xs: string[]) => xs.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  return {
    patient,
    items,
    records: read.length,
    unreadable: ids(unreadable),
    damaged: ids(damaged),
    undated,
    superseded,
    voidedHidden,
    truncated,
    erased,
  };
}

/** The cached entry with its items, reading and verifying the record when the cache lacks them. */
async function itemsOf(s: With<'me' | 'chain' | 'store'>, cache: MetaCache, rec: RecordInfo): Promise<CachedMeta> {
  const hit = cache.get(rec.cid);
  // A file's one item comes from its metadata; a FHIR record's from its content.
  if (hit && (!hit.meta.fhir || hit.history?.v === HISTORY_RULES_V)) return hit;
  const { opened, content } = await readRecordContent(s, rec);
  try {
    const entry: CachedMeta = { author: opened.author, meta: metaOf(opened) };
    if (opened.fhir && content) {
      const items: HistoryItem[] = [];
      let undated = 0;
      for (const r of resourcesOf(parseFhirContent(rec.id.toString(), content))) {
        const item = historyItemOf(r);
        if (item) items.push(item);
        // Reference data kept inside the record (FHIR.md § 9.2: Practitioner, Organization) has no
        // date of care by nature: it is not an undated clinical item.
        else if (!isNotHistory(r.resourceType)) undated++;
      }
      entry.history = { v: HISTORY_RULES_V, items, undated };
    }
    cache.put(rec.cid, entry);
    return entry;
  } finally {
    content?.fill(0);
  }
}

/** The signed metadata as the details cache keeps it (as `record list --details` does). */
function metaOf(o: Omit<FetchedRecord, 'receiptTx'>): BundleMetadata {
  const v2 = Object.fromEntries(V3_FIELDS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return {
    // FORMAT.md § 3.5: an organisation makes version 3.
    v: o.org !== undefined ? 3 : Object.keys(v2).length ? 2 : 1,
    patient: o.patient,
    author: o.author,
    type: o.type,
    createdAt: Math.floor(Date.parse(o.createdAt ?? '0') / 1000),
    ...(o.title !== null ? { title: o.title } : {}),
    ...(o.fileName !== null ? { fileName: o.fileName } : {}),
    ...v2,
  } as BundleMetadata;
}

/**
 * docs/FHIR.md § 5: a correction replaces the record it names when that one is of the same
 * patient and type and older. The latest correction wins.
 */
function corrections(read: Read[]): Map<string, string> {
  const byId = new Map(read.map((r) => [r.rec.id.toString(), r.rec]));
  const out = new Map<string, string>();
  for (const { rec, entry } of read) {
    const target = entry.meta.supersedes !== undefined ? byId.get(entry.meta.supersedes) : undefined;
    if (target && target.patient === rec.patient && target.recordType === rec.recordType && target.id < rec.id)
      out.set(target.id.toString(), rec.id.toString());
  }
  return out;
}

/** A record's items: its FHIR resources' own, or one for a file (dated by care, else by signing). */
function timelineOf(rec: RecordInfo, entry: CachedMeta, slots: TypeSlots): TimelineItem[] {
  const record = rec.id.toString();
  const recordType = slots.display(rec.recordType);
  if (entry.meta.fhir) return (entry.history?.items ?? []).map((i) => ({ ...i, record, recordType, dateIs: 'care' as const }));
  const m = entry.meta;
  const care = m.careDate ?? m.encounterStart;
  const date = care ?? new Date(m.createdAt * 1000).toISOString();
  const what = m.title ?? m.fileName ?? `${recordType} file`;
  return [
    {
      date,
      day: dayOf(date),
      kind: recordType,
      summary: care ? what : `${what} (filed; no date of care)`,
      record,
      recordType,
      dateIs: care ? 'care' : 'filed',
    },
  ];
}

/** The human table of `emr history` (docs/CLI.md § history): an ORG column when an item names an organisation (SHARING.md § 9.7). */
export function historyTable(items: TimelineItem[], label: (address: string) => string): { columns: string[]; rows: string[][] } {
  const withOrg = items.some((i) => i.org);
  return {
    columns: ['DATE OF CARE', 'KIND', 'SUMMARY', 'RECORD', ...(withOrg ? ['ORG'] : [])],
    rows: items.map((i) => [i.day, i.kind, marked(i, label), `#${i.record}`, ...(withOrg ? [i.org ? orgText(i.org) : ''] : [])]),
  };
}

/** An item's summary as a person reads it, with --all's marks (voided first: it is the stronger). */
export function marked(i: TimelineItem, label: (address: string) => string): string {
  const marks = [
    i.voided ? `[VOIDED by ${label(i.voided.by)}: ${i.voided.reason}]` : '',
    i.supersededBy ? `[superseded by #${i.supersededBy}]` : '',
  ].filter(Boolean);
  return marks.length ? `${i.summary} ${marks.join(' ')}` : i.summary;
}
