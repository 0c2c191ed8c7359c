/**
 * The frame every page shares (docs/UI.md § 2): a skip link, the acting profile, the
 * navigation of its role, one `<main>` with the page's heading. No inline script or style
 * (the Content-Security-Policy forbids both): /static/ui.css and /static/ui.js only.
 */
import { Html, html } from './html.js';
import type { UiReply } from './server.js';

export interface Who {
  name: string;
  address: string;
  role: string;
}

const PATIENT_NAV: Array<[string, string]> = [
  ['/', 'Timeline'],
  ['/access', 'Who may read'],
  ['/requests', 'Requests'],
  ['/emergency', 'Emergency'],
  ['/audit', 'Who read my records'],
];
const CLINICIAN_NAV: Array<[string, string]> = [
  ['/', 'My patients'],
  ['/add', 'Add a record'],
  ['/verify', 'Verify a prescription'],
  ['/request', 'Request access'],
];

export function navOf(role: string): Array<[string, string]> {
  return role === 'provider' ? CLINICIAN_NAV : PATIENT_NAV;
}

export function renderPage(reply: Extract<UiReply, { kind: 'page' }>, who: Who | null, path = ''): string {
  const nav = who
    ? html`<nav aria-label="Main"><ul>${navOf(who.role).map(
        ([href, label]) => html`<li><a href="${href}"${href === path ? new Html(' aria-current="page"') : ''}>${label}</a></li>`,
      )}</ul></nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${reply.title} · emr</title>
<link rel="stylesheet" href="/static/ui.css">
<script src="/static/ui.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<p class="brand">emr <span class="muted">local view</span></p>
${who ? html`<p class="who">Signed in as <strong>${who.name}</strong> (${who.role}) <code>${who.address}</code></p>` : ''}
${nav}
</header>
<main id="main" tabindex="-1">
<h1>${reply.title}</h1>
${reply.body}
</main>
<footer><p class="muted">Served by <code>emr ui</code> on this computer only. Keys stay in the emr process; stop it with Ctrl-C in its terminal.</p></footer>
</body>
</html>
`.text;
}

/** A POST form with the session's CSRF token; `fields` are the inputs, `button` its label. */
export function postForm(
  action: string,
  csrf: string,
  fields: Html | string,
  button: string,
  opts: { danger?: boolean; multipart?: boolean } = {},
): Html {
  return html`<form method="post" action="${action}"${opts.multipart ? new Html(' enctype="multipart/form-data"') : ''}>
<input type="hidden" name="csrf" value="${csrf}">
${fields}
<button type="submit"${opts.danger ? new Html(' class="danger"') : ''}>${button}</button>
</form>`;
}

/** The CLI's failure, as a person reads it: message, then the hint. */
export function errorBox(e: { code: string; message: string; hint?: string }): Html {
  return html`<div class="error" role="alert"><p><strong>${e.message}</strong> <span class="muted">(${e.code})</span></p>${
    e.hint ? html`<p>hint: ${e.hint}</p>` : ''
  }</div>`;
}

export const page = (title: string, body: Html, status?: number): UiReply => ({ kind: 'page', title, body, ...(status ? { status } : {}) });
