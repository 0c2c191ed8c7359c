/**
 * The patient's pages besides the timeline (docs/UI.md § 2.1): who may read what and until
 * when (`grant list`) with grant, narrow and revoke; access requests to approve or deny
 * (`access list`); emergency settings; who read my records (`audit`), with date filters.
 * Reads only: each action is a POST handled in actions.ts.
 */
import { UsageError } from '../errors.js';
import { RECORD_TYPES } from '../record-types.js';
import { listAccessRequests } from '../records/access-requests.js';
import { auditTrail } from '../records/audit.js';
import { grantListFlow } from '../records/grant-list.js';
import { resolveAddress } from '../session/resolve.js';
import { emergencyTypesOf, type UiSession } from './data.js';
import { type Html, html, when } from './html.js';
import { postForm } from './layout.js';

/** Checkboxes for record types; `name` is the form field. */
export function typeBoxes(name: string, legend: string, checked: readonly string[]): Html {
  return html`<fieldset class="types"><legend>${legend}</legend>${RECORD_TYPES.map(
    (t) => html`<label><input type="checkbox" name="${name}" value="${t}"${checked.includes(t) ? html` checked` : ''}> ${t}</label>`,
  )}</fieldset>`;
}

const EXPIRES = html`<label>Until <select name="expires"><option value="30d">30 days</option><option value="90d" selected>90 days</option><option value="1y">1 year</option></select></label>`;

export function grantForm(csrf: string, provider = '', types: readonly string[] = [], write = false): Html {
  return postForm(
    '/access/grant',
    csrf,
    html`<label>Provider (address or profile name) <input name="provider" required maxlength="100" value="${provider}" autocomplete="off"></label>
${typeBoxes('types', 'Record types they may read', types)}
<label><input type="checkbox" name="write"${write ? html` checked` : ''}> they may also add records of these types</label>
${EXPIRES}`,
    'Grant access',
  );
}

export async function accessPage(s: UiSession, csrf: string): Promise<Html> {
  const { grants } = await grantListFlow(s, {});
  const live = grants.filter((g) => g.live);
  const stale = grants.filter((g) => !g.live && g.stillDecryptable.length > 0);
  const who = (a: string) => html`${s.label(a)}<br><code class="addr">${a}</code>`;
  return html`<h2>Now</h2>
${
  live.length
    ? html`<table><caption>Providers who may read your records now</caption><thead><tr><th scope="col">Provider</th><th scope="col">May read</th><th scope="col">May add</th><th scope="col">Records</th><th scope="col">Until</th><th scope="col">Keys delivered</th><th scope="col">Actions</th></tr></thead><tbody>${live.map(
        (g) =>
          html`<tr><td>${who(g.provider)}</td><td>${g.read.join(', ') || '—'}</td><td>${g.write.join(', ') || '—'}</td><td>${g.records.join(', ') || '—'}</td><td>${
            g.emergency.open ? html`emergency until ${when(g.emergency.until)}` : when(g.expires)
          }</td><td>${g.keysDelivered}</td><td><a href="/access/narrow?provider=${g.provider}">Narrow</a> · <a href="/access/revoke?provider=${g.provider}">Revoke…</a></td></tr>`,
      )}</tbody></table>`
    : html`<p>Nobody but you (and each record’s author) may read your records.</p>`
}
${
  stale.length
    ? html`<h2>Could still decrypt</h2><p>Their access ended, but they hold keys to the current copies of these records until you re-key them.</p><ul>${stale.map(
        (g) =>
          html`<li>${s.label(g.provider)}: records ${g.stillDecryptable.join(', ')} — <a href="/access/revoke?provider=${g.provider}">Re-key…</a></li>`,
      )}</ul>`
    : ''
}
<h2>Grant access</h2>
${grantForm(csrf)}`;
}

/** One provider's entry of `grant list` (a profile name or an address). */
async function grantOf(s: UiSession, provider: string) {
  if (!provider) throw new UsageError('which provider?', { hint: 'pick one in Who may read' });
  const address = (await resolveAddress(s.ctx, provider)).toLowerCase();
  const { grants } = await grantListFlow(s, {});
  return grants.find((x) => x.provider.toLowerCase() === address);
}

/** Narrow: the same grant with fewer types (a grant replaces the scope on chain). */
export async function narrowPage(s: UiSession, csrf: string, provider: string): Promise<Html> {
  const g = await grantOf(s, provider);
  if (!g?.live) throw new UsageError(`${provider} has no live grant`, { hint: 'see Who may read' });
  return html`<p>Untick what ${s.label(g.provider)} should no longer read. Keys to records they could already read stay with them: revoke and re-key to take those back.</p>
${grantForm(csrf, g.provider, g.read, g.write.length > 0)}`;
}

export async function revokePage(s: UiSession, csrf: string, provider: string): Promise<Html> {
  const g = await grantOf(s, provider);
  if (!g) throw new UsageError(`${provider} never had access`, { hint: 'see Who may read' });
  return html`<p>Revoking ends ${s.label(g.provider)}’s access on chain at once: they can no longer fetch your records.</p>
<p class="note"><strong>What revoking cannot undo:</strong> copies they already fetched, and keys already delivered to them, cannot be recalled. Re-keying re-encrypts the records they could read under new keys, so the copies stored from now on no longer open with the keys they hold.</p>
${
  g.stillDecryptable.length
    ? html`<p>They hold keys to records ${g.stillDecryptable.join(', ')}.</p>`
    : g.read.length
      ? html`<p>They may read: ${g.read.join(', ')}${g.records.length ? html`; records ${g.records.join(', ')}` : ''}.</p>`
      : ''
}
${postForm(
  '/access/revoke',
  csrf,
  html`<input type="hidden" name="provider" value="${g.provider}">
<label><input type="checkbox" name="rekey" checked> also re-key the records they could read (recommended)</label>`,
  'Revoke access',
  { danger: true },
)}`;
}

export async function requestsPage(s: UiSession, csrf: string): Promise<Html> {
  const { requests } = await listAccessRequests(s, { all: true });
  const pending = requests.filter((r) => r.state === 'pending');
  const decided = requests.filter((r) => r.state !== 'pending');
  return html`<h2>Waiting for you</h2>
${
  pending.length
    ? html`<ul class="cards">${pending.map(
        (r) => html`<li class="card"><h3>Request ${r.requestId} from ${s.label(r.provider)}</h3>
<dl><dt>Provider</dt><dd><code>${r.provider}</code></dd><dt>Types</dt><dd>${r.types.join(', ')}</dd><dt>Reason</dt><dd class="reason">${r.reason}</dd><dt>Asked</dt><dd>${when(r.createdAt)}</dd></dl>
<div class="actions">${postForm(`/requests/${r.requestId}/approve`, csrf, EXPIRES, `Approve request ${r.requestId}`)}${postForm(
          `/requests/${r.requestId}/deny`,
          csrf,
          '',
          `Deny request ${r.requestId}`,
          { danger: true },
        )}</div></li>`,
      )}</ul>`
    : html`<p>No request waits for you.</p>`
}
${
  decided.length
    ? html`<h2>Decided</h2><table><caption>Earlier requests</caption><thead><tr><th scope="col">Request</th><th scope="col">Provider</th><th scope="col">Types</th><th scope="col">Reason</th><th scope="col">State</th></tr></thead><tbody>${decided.map(
        (r) =>
          html`<tr><td>${r.requestId}</td><td>${s.label(r.provider)}</td><td>${r.types.join(', ')}</td><td class="reason">${r.reason}</td><td>${r.state}</td></tr>`,
      )}</tbody></table>`
    : ''
}`;
}

export async function emergencyPage(s: UiSession, csrf: string): Promise<Html> {
  const types = await emergencyTypesOf(s);
  return html`<p>In an emergency a verified provider can open time-boxed access (“break glass”); it is always recorded in your audit trail. Only the record types ticked here are visible then.</p>
<p>Now: ${types.length ? types.join(', ') : 'none'}.</p>
${postForm('/emergency', csrf, typeBoxes('types', 'Visible in an emergency', types), 'Save emergency settings')}`;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function auditPage(s: UiSession, q: URLSearchParams): Promise<Html> {
  const since = q.get('since') ?? '';
  const until = q.get('until') ?? '';
  const everything = q.get('all') === '1';
  if ((since && !DAY.test(since)) || (until && !DAY.test(until))) throw new UsageError('dates are YYYY-MM-DD', { hint: 'e.g. 2026-01-31' });
  const { events } = await auditTrail(s, {});
  const rows = events
    .filter((e) => everything || e.event === 'record-accessed' || e.event.startsWith('emergency'))
    .filter((e) => (!since || e.time.slice(0, 10) >= since) && (!until || e.time.slice(0, 10) <= until))
    .reverse();
  return html`<form method="get" action="/audit" class="filters" role="search" aria-label="Filter the audit trail">
<label>From <input type="date" name="since" value="${since}"></label>
<label>To <input type="date" name="until" value="${until}"></label>
<label><input type="checkbox" name="all" value="1"${everything ? html` checked` : ''}> every event (grants, records added…), not only reads</label>
<button type="submit">Show</button>
</form>
<p class="note">A read receipt proves only that its reader could read that record when it was logged; receipts are voluntary, so no receipt does not mean no read.</p>
${
  rows.length
    ? html`<table><caption>${everything ? 'Every event' : 'Reads and emergency access'}, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Transaction</th></tr></thead><tbody>${rows.map(
        (e) =>
          html`<tr${e.details.forged ? html` class="forged"` : ''}><td>${when(e.time)}</td><td>${s.label(e.actor)}</td><td>${e.description}</td><td><code class="tx">${e.txHash}</code></td></tr>`,
      )}</tbody></table>`
    : html`<p>Nothing in this period.</p>`
}`;
}
