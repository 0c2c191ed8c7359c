/**
 * The timeline and the record page (docs/UI.md § 2.1, § 2.2): a patient's records by date of
 * care, newest first, from the same flow as `emr record list --details` (the profile's
 * encrypted metadata cache makes a second view cheap); one record decrypted, verified and
 * rendered. A clinician sees the same for a patient who granted them.
 */
import { NotFoundError, UsageError } from '../errors.js';
import { RECORD_TYPES } from '../record-types.js';
import type { ListedRecord } from '../records/list.js';
import { listInput, recordListFlow } from '../records/record-list.js';
import { renderContent } from './content.js';
import { MAX_SHOWN_BYTES, openForPage, type UiSession } from './data.js';
import { type Html, html, when } from './html.js';
import { postForm } from './layout.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The day a record is about: its signed date of care, else the day it was registered. */
const careDay = (r: ListedRecord) => (r.date ?? r.createdAt).slice(0, 10);

export interface TimelineQuery {
  since?: string;
  until?: string;
  type?: string;
}

export function timelineQuery(q: URLSearchParams): TimelineQuery {
  const pick = (k: string) => {
    const v = q.get(k);
    return v && v.length <= 20 ? v : undefined;
  };
  const since = pick('since');
  const until = pick('until');
  const type = pick('type');
  if ((since && !DAY.test(since)) || (until && !DAY.test(until))) throw new UsageError('dates are YYYY-MM-DD', { hint: 'e.g. 2026-01-31' });
  if (type && !(RECORD_TYPES as readonly string[]).includes(type))
    throw new UsageError(`unknown record type ${type}`, { hint: RECORD_TYPES.join(', ') });
  return { since, until, type };
}

function filterForm(action: string, q: TimelineQuery): Html {
  return html`<form method="get" action="${action}" class="filters" role="search" aria-label="Filter the timeline">
<label>From (date of care) <input type="date" name="since" value="${q.since ?? ''}"></label>
<label>To <input type="date" name="until" value="${q.until ?? ''}"></label>
<label>Type <select name="type"><option value="">all types</option>${RECORD_TYPES.map(
    (t) => html`<option value="${t}"${q.type === t ? html` selected` : ''}>${t}</option>`,
  )}</select></label>
<button type="submit">Show</button>
</form>`;
}

/** `patient`: an address or undefined for the acting profile. `base`: the page's path (filters post back to it). */
export async function timeline(s: UiSession, patient: string | undefined, q: TimelineQuery, base: string): Promise<Html> {
  const res = await recordListFlow(s, listInput({ patient, details: true, type: q.type }, undefined));
  const rows = res.records
    .filter((r) => (!q.since || careDay(r) >= q.since) && (!q.until || careDay(r) <= q.until))
    .sort((a, b) => careDay(b).localeCompare(careDay(a)) || Number(b.id) - Number(a.id));
  const days = new Map<string, ListedRecord[]>();
  for (const r of rows) days.set(careDay(r), [...(days.get(careDay(r)) ?? []), r]);
  const item = (r: ListedRecord) =>
    html`<li class="${r.supersededBy ? 'superseded' : ''}"><a href="/records/${r.id}"><span class="type">${r.type}</span> ${
      r.readable === false ? html`<em>record ${r.id} (you cannot open it)</em>` : (r.title ?? r.fileName ?? `record ${r.id}`)
    }</a> <span class="muted">by ${s.label(r.author)}${r.supersededBy ? html` · corrected by record ${r.supersededBy}` : ''}${
      r.supersedes ? html` · corrects record ${r.supersedes}` : ''
    }${r.facility ? html` · ${r.facility}` : ''}</span></li>`;
  return html`${filterForm(base, q)}
<p class="muted">${rows.length} of ${res.total} record${res.total === 1 ? '' : 's'}, by date of care (newest first)${
    res.voidedHidden ? `; ${res.voidedHidden} voided (entered in error) not shown` : ''
  }.</p>
${
  rows.length
    ? html`<ol class="timeline">${[...days].map(
        ([day, rs]) => html`<li><h2 class="day"><time datetime="${day}">${day}</time></h2><ul>${rs.map(item)}</ul></li>`,
      )}</ol>`
    : html`<p>No records${q.since || q.until || q.type ? ' match these filters' : ' yet'}.</p>`
}`;
}

function idOf(text: string): bigint {
  if (!/^\d{1,20}$/.test(text)) throw new NotFoundError(`no record ${text.slice(0, 24)}`, { hint: 'record ids are numbers' });
  return BigInt(text);
}

function facts(out: Record<string, unknown>, rows: Array<[string, string]>): Html {
  return html`<dl class="facts">${rows
    .filter(([k]) => out[k] !== undefined && out[k] !== null && out[k] !== '')
    .map(
      ([k, label]) => html`<dt>${label}</dt><dd>${k === 'createdAt' || k === 'careDate' ? when(String(out[k])) : String(out[k])}</dd>`,
    )}</dl>`;
}

const FACTS: Array<[string, string]> = [
  ['id', 'Record'],
  ['type', 'Type'],
  ['title', 'Title'],
  ['careDate', 'Date of care'],
  ['createdAt', 'Signed'],
  ['fileName', 'File'],
  ['facility', 'Facility'],
  ['supersedes', 'Corrects record'],
  ['supersededBy', 'Corrected by record'],
  ['sha256', 'SHA-256'],
  ['cid', 'CID'],
];

/** The record's page body once opened (decrypted and verified). */
export async function recordBody(s: UiSession, idText: string, receipt: boolean): Promise<{ body: Html; receiptTx: string | null }> {
  const { out, size, bytes } = await openForPage(s, idOf(idText), receipt);
  const o = out as unknown as Record<string, unknown>;
  const body = html`<p class="ok" role="status">Signature valid: signed by ${s.label(out.author)} <code>${out.author}</code>; the content matches its hash and the chain.</p>
${facts(o, FACTS)}
${bytes ? renderContent(bytes, { fhir: !!o.fhir, fileName: o.fileName as string | null }) : html`<p>The content is ${size} bytes, more than this page shows (${MAX_SHOWN_BYTES}); fetch it with <code>emr fetch ${out.id}</code>.</p>`}`;
  return { body, receiptTx: out.receiptTx };
}

/** A clinician's record page before reading: the read posts a receipt, so it is a button (a POST), never a GET. */
export function readButton(idText: string, csrf: string): Html {
  idOf(idText);
  return html`<p>Reading a patient’s record posts a read receipt on chain, visible in their audit trail.</p>
${postForm(`/records/${idText}/read`, csrf, '', 'Read this record')}`;
}
