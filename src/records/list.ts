/**
 * `emr record list` (docs/FHIR.md § 6): the records on chain, filtered and limited, and
 * with `details` the metadata the reader can open — title, date of care, file name,
 * encounter facts, the record a correction supersedes. Details come from the signed,
 * verified bundle (openRecord); each is kept in the profile's encrypted cache
 * (meta-cache.ts) so a second listing decrypts nothing again.
 */

import { mayReadRecord } from '../chain/grants.js';
import type { RecordInfo } from '../chain/records.js';
import { listRecords } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';
import { AccessDeniedError, IntegrityError, NotFoundError, UnavailableError } from '../errors.js';
import { forEachInFlight } from '../in-flight.js';
import type { RecordStore } from '../ipfs/store.js';
import type { TypeSlots } from '../record-types.js';
import { retainUntil } from '../retention.js';
import type { Only } from '../session/index.js';
import type { Unlocked } from '../session/unlock.js';
import { type CareWindow, inCareWindow } from './care-dates.js';
import { openRecord } from './fetch.js';
import { MetaCache } from './meta-cache.js';
import type { RecordRef } from './record-ref.js';
import { slotsOfPatients, vocabularyIndex } from './type-keys.js';

export interface ListOptions {
  patient?: string;
  author?: string;
  /** Record type indexes to keep (none = all). */
  types?: number[];
  /** Who reads: their type keys name the slots (CONTRACT.md § Privacy); without, slots show as unknown. */
  reader?: { me?: Unlocked | undefined; store?: RecordStore | undefined; openStore?: (() => Promise<RecordStore>) | undefined };
  /** Unix seconds, inclusive, of the block that registered the record. */
  since?: number;
  until?: number;
  /** Keep the most recent `limit` records (after the filters). */
  limit?: number;
  /** Include voided (entered-in-error) records, marked (docs/CLI.md § record void). */
  all?: boolean;
  /** Only records whose signed date of care is in this window (needs details). */
  care?: CareWindow;
  /** The retention schedule (retention.ts) and the chain's clock: rows say what is past it. */
  retention?: { schedule: ReadonlyMap<string, number>; now: number };
}

/** A row's void (CONTRACT.md § Void and dispense); the reason is untrusted chain text. */
export interface ListedVoid {
  by: string;
  reason: string;
  at: string;
  txHash: string;
}

export interface ListedRecord extends RecordRef {
  createdAt: string;
  rekeyed: boolean;
  /** Entered in error: who voided it, when and why; null when not voided. */
  voided: ListedVoid | null;
  /** Erased by its patient (CONTRACT.md § Erasure): the tombstone; null when not erased. Shown, never hidden. */
  erased: { by: string; at: string; txHash: string } | null;
  /** With a retention schedule: until when its type's period keeps it (null: no period for its type). */
  retainUntil?: string | null;
  /** Its period is over (shown, never acted on: only the patient erases). */
  pastRetention?: boolean;
  /** With details: whether the reader could open and verify the record. */
  readable?: boolean;
  /**
   * With details: the record's bytes could not be read here (NOT_FOUND: in no store or
   * gateway this site reads; UNAVAILABLE: a node or gateway did not answer). The row is
   * still listed (issue 22 point 4: one missing record failed the whole list, exit 7).
   */
  unavailable?: 'NOT_FOUND' | 'UNAVAILABLE';
  title?: string | null;
  fileName?: string | null;
  /** Date of care (the signed `careDate`, docs/FORMAT.md § 3.4). */
  date?: string;
  fhir?: boolean;
  facility?: string;
  encounterStart?: string;
  encounterEnd?: string;
  mrn?: string;
  /** The organisation the author wrote for (docs/FORMAT.md § 3.5): its id. */
  org?: string;
  /** The name the chain gave that org (SHARING.md § 9.7; null: no such org on chain). Raw chain text. */
  orgName?: string | null;
  supersedes?: string;
  /** Id of a later record (of those listed) that names this one in `supersedes`. */
  supersededBy?: string;
}

export interface ListResult {
  records: ListedRecord[];
  /** Records matching the filters. */
  total: number;
  /** Matching records left out by the limit (the oldest). */
  more: number;
  /** Matching voided records left out (none with `all`). */
  voidedHidden: number;
  /** With details: listed records whose bytes could not be read here (`unavailable` set). */
  unavailable?: number;
  /** With a retention schedule: listed records past their period (not erased). */
  pastRetention?: number;
}

const CONCURRENCY = 8;

export async function listRecordsFlow(
  chain: EmrChain,
  o: ListOptions,
  details?: Only<'home' | 'chain' | 'store' | 'me'>,
): Promise<ListResult> {
  let list = await listRecords(chain, { patient: o.patient, author: o.author });
  // Slots → names with the patient's key where this reader holds it (CONTRACT.md § Privacy).
  const reader = { chain, me: details?.me ?? o.reader?.me, store: details?.store ?? o.reader?.store, openStore: o.reader?.openStore };
  const slotsOf = await slotsOfPatients(
    reader,
    list.map((r) => r.patient),
  );
  if (o.types?.length) list = list.filter((r) => o.types!.includes(vocabularyIndex(slotsOf(r.patient), r.recordType) ?? -1));
  if (o.since !== undefined) list = list.filter((r) => r.createdAt >= o.since!);
  if (o.until !== undefined) list = list.filter((r) => r.createdAt <= o.until!);
  const matching = list.length;
  if (!o.all) list = list.filter((r) => !r.voided);
  const voidedHidden = matching - list.length;
  let rows = list.map((r) => listed(r, slotsOf(r.patient)));
  if (o.retention) {
    const { schedule, now } = o.retention;
    list.forEach((r, i) => {
      const until = retainUntil(schedule, rows[i]!.type, r.createdAt);
      rows[i]!.retainUntil = until === null ? null : new Date(until * 1000).toISOString();
      rows[i]!.pastRetention = until !== null && until <= now && !r.erased;
    });
  }
  let unavailable = 0;
  if (o.care) {
    // The date of care is signed inside each record: every candidate is opened (through
    // the cache) before the filter and the limit apply (docs/FHIR.md § 6). A record whose
    // bytes are not here has no known date: it cannot match, but it is counted.
    if (!details) throw new Error('listRecordsFlow: a care-date filter needs details');
    await addDetails(details, list, rows);
    unavailable = rows.filter((r) => r.unavailable).length;
    const keep = rows.map((r) => inCareWindow(careDayOf(r), o.care!));
    list = list.filter((_, i) => keep[i]);
    rows = rows.filter((_, i) => keep[i]);
  }
  const total = list.length;
  const cut = o.limit !== undefined && list.length > o.limit ? list.length - o.limit : 0;
  const shown = list.slice(cut);
  const records = rows.slice(cut);
  if (details && !o.care) {
    await addDetails(details, shown, records);
    unavailable = records.filter((r) => r.unavailable).length;
  }
  return {
    records,
    total,
    more: total - shown.length,
    voidedHidden,
    ...(details ? { unavailable } : {}),
    ...(o.retention ? { pastRetention: records.filter((r) => r.pastRetention).length } : {}),
  };
}

/** A record's date of care (docs/FHIR.md § 6): the signed `careDate`, else its encounter start. */
export function careDayOf(r: Pick<ListedRecord, 'date' | 'encounterStart'>): string | undefined {
  return r.date ?? r.encounterStart;
}

function listed(r: RecordInfo, slots: TypeSlots): ListedRecord {
  return {
    id: r.id.toString(),
    cid: r.cid,
    patient: r.patient,
    author: r.author,
    type: slots.display(r.recordType),
    txHash: r.txHash,
    createdAt: new Date(r.createdAt * 1000).toISOString(),
    rekeyed: r.rekeyCount > 0,
    voided: r.voided
      ? { by: r.voided.by, reason: r.voided.reason, at: new Date(r.voided.at * 1000).toISOString(), txHash: r.voided.txHash }
      : null,
    erased: r.erased ? { by: r.erased.by, at: new Date(r.erased.at * 1000).toISOString(), txHash: r.erased.txHash } : null,
  };
}

async function addDetails(s: Only<'home' | 'chain' | 'store' | 'me'>, infos: RecordInfo[], out: ListedRecord[]): Promise<void> {
  const cache = await MetaCache.open(s);
  try {
    await forEachInFlight(infos, CONCURRENCY, async (rec, i) => {
      const row = out[i]!;
      if (rec.erased) {
        // CONTRACT.md § Erasure: nothing to open; this profile's cached details of it go.
        cache.drop([...rec.pastCids, rec.cid]);
        row.readable = false;
        return;
      }
      try {
        // The chain decides who may read: a revoked reader who still holds a key sees no details.
        if (!(await mayReadRecord(s.chain, s.me.profile.address, rec))) {
          row.readable = false;
          return;
        }
        let hit = cache.get(rec.cid);
        if (!hit) {
          const opened = await openRecord(s, rec, null);
          hit = {
            author: opened.author,
            meta: {
              v: opened.org
                ? 3
                : opened.supersedes ||
                    opened.careDate ||
                    opened.fhir ||
                    opened.facility ||
                    opened.encounterStart ||
                    opened.encounterEnd ||
                    opened.mrn
                  ? 2
                  : 1,
              patient: opened.patient,
              author: opened.author,
              type: opened.type,
              createdAt: Math.floor(Date.parse(opened.createdAt ?? '0') / 1000),
              ...(opened.title !== null ? { title: opened.title } : {}),
              ...(opened.fileName !== null ? { fileName: opened.fileName } : {}),
              ...Object.fromEntries(
                (['fhir', 'careDate', 'supersedes', 'facility', 'encounterStart', 'encounterEnd', 'mrn', 'org'] as const)
                  .filter((k) => opened[k] !== undefined)
                  .map((k) => [k, opened[k]]),
              ),
            },
          };
          cache.put(rec.cid, hit);
        }
        const m = hit.meta;
        row.readable = true;
        row.title = m.title ?? null;
        row.fileName = m.fileName ?? null;
        if (m.careDate) row.date = m.careDate;
        if (m.fhir) row.fhir = true;
        for (const k of ['facility', 'encounterStart', 'encounterEnd', 'mrn', 'supersedes', 'org'] as const)
          if (m[k] !== undefined) row[k] = m[k];
      } catch (e) {
        // Not openable by this reader (no key), or damaged: listed without details. Bytes
        // this site cannot reach: listed and marked, the other rows still get theirs.
        if (e instanceof NotFoundError || e instanceof UnavailableError) row.unavailable = e.code;
        else if (!(e instanceof AccessDeniedError) && !(e instanceof IntegrityError)) throw e;
        row.readable = false;
      }
    });
  } finally {
    await cache.save();
  }
  // docs/FHIR.md § 5: a correction marks the record it names, when it is of the same
  // patient and type and registered later (an earlier "correction" cannot supersede).
  const byId = new Map(out.map((r, i) => [r.id, { r, info: infos[i]! }]));
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!.supersedes;
    const target = s !== undefined ? byId.get(s) : undefined;
    const info = infos[i]!;
    if (target && target.info.patient === info.patient && target.info.recordType === info.recordType && target.info.id < info.id) {
      target.r.supersededBy = out[i]!.id;
    }
  }
}
