/**
 * A job's page (docs/UI.md § 2.3): while it runs, its progress lines (ui.js polls
 * `/jobs/<id>/status` and reloads when it ends; without script, a reload link); then the
 * transaction(s) that prove it, or the CLI's error message and hint.
 */
import { html } from './html.js';
import type { Job } from './jobs.js';
import { errorBox, page } from './layout.js';
import type { UiReply } from './server.js';

export function jobPage(job: Job): UiReply {
  if (job.state === 'queued' || job.state === 'running') {
    return page(
      job.title,
      html`<div class="job" data-job="${job.id}"><p role="status" aria-live="polite" class="progress" id="job-state">${
        job.state === 'queued' ? 'Waiting for the action before it to finish…' : 'Working…'
      }</p><ul class="progress-lines" id="job-lines">${job.progress.map((l) => html`<li>${l}</li>`)}</ul>
<p><a href="/jobs/${job.id}">Reload</a> to see where it is (this page does so by itself).</p></div>`,
    );
  }
  if (job.state === 'failed') {
    const e = job.error!;
    return page(
      job.title,
      html`${errorBox(e)}${e.txHash ? html`<p>The transaction <code class="tx">${e.txHash}</code> was sent; look before repeating it.</p>` : ''}
<ul class="progress-lines">${job.progress.map((l) => html`<li>${l}</li>`)}</ul>
<p><a href="/">Home</a></p>`,
    );
  }
  const r = job.result!;
  return page(
    job.title,
    html`<div class="ok" role="status"><p><strong>${r.summary}</strong></p>${
      r.txHashes.length
        ? html`<p>${r.txHashes.length === 1 ? 'Transaction' : 'Transactions'}:</p><ul class="txs">${r.txHashes.map((t) => html`<li><code class="tx">${t}</code></li>`)}</ul>`
        : ''
    }</div>
${r.fields?.length ? html`<dl class="facts">${r.fields.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>` : ''}
${r.notes?.length ? html`<ul class="notes">${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
${r.body ?? ''}
<p>${r.next ? html`<a href="${r.next.href}">${r.next.label}</a> · ` : ''}<a href="/">Home</a></p>`,
  );
}

export const jobStatus = (job: Job) => ({ state: job.state, progress: job.progress });
