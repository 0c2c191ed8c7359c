/**
 * The routes of the web view (docs/UI.md § 2): each GET renders a page from one read flow;
 * each POST starts a job (actions.ts) and redirects to its page. A flow's error is shown as
 * the CLI shows it: its message and hint.
 */
import { toEmrError } from '../errors.js';
import * as act from './actions.js';
import type { UiSession } from './data.js';
import { html } from './html.js';
import type { Jobs } from './jobs.js';
import { errorBox, page } from './layout.js';
import type { Route, UiReply, UiRequest } from './server.js';
import { addPage, patientsPage, requestPage, verifyPage } from './views-clinician.js';
import { jobPage, jobStatus } from './views-job.js';
import { accessPage, auditPage, emergencyPage, narrowPage, requestsPage, revokePage } from './views-patient.js';
import { readButton, recordBody, timeline, timelineQuery } from './views-records.js';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

type Work = (p: act.Progress) => Promise<import('./jobs.js').JobResult>;

export function routes(s: UiSession, jobs: Jobs): Route {
  const clinician = s.me.profile.role === 'provider';
  const start = (title: string, work: Work): UiReply => ({ kind: 'redirect', location: `/jobs/${jobs.start(title, work).id}` });
  const param = (q: URLSearchParams, k: string) => (q.get(k) ?? '').slice(0, 100);

  async function get(r: UiRequest): Promise<UiReply | undefined> {
    const { path, query: q, csrf } = r;
    let m: RegExpExecArray | null;
    if (path === '/')
      return clinician
        ? page('My patients', await patientsPage(s))
        : page('My timeline', await timeline(s, undefined, timelineQuery(q), '/'));
    if ((m = /^\/records\/([^/]{1,24})$/.exec(path))) {
      if (clinician) return page(`Record ${m[1]}`, readButton(m[1]!, csrf));
      return page(`Record ${m[1]}`, (await recordBody(s, m[1]!, false)).body);
    }
    if ((m = /^\/patients\/([^/]{1,64})$/.exec(path)) && ADDRESS.test(m[1]!)) {
      const who = m[1]!;
      return page(
        `Timeline of ${s.label(who)}`,
        html`<p><a href="/add?patient=${who}">Add a record for this patient</a> · <a href="/request?patient=${who}">Request access</a></p>${await timeline(
          s,
          who,
          timelineQuery(q),
          `/patients/${who}`,
        )}`,
      );
    }
    if (path === '/access') return page('Who may read my records', await accessPage(s, csrf));
    if (path === '/access/narrow') return page('Narrow a grant', await narrowPage(s, csrf, param(q, 'provider')));
    if (path === '/access/revoke') return page('Revoke access', await revokePage(s, csrf, param(q, 'provider')));
    if (path === '/requests') return page('Access requests', await requestsPage(s, csrf));
    if (path === '/emergency') return page('Emergency settings', await emergencyPage(s, csrf));
    if (path === '/audit') return page('Who read my records', await auditPage(s, q));
    if (path === '/add') return page('Add a record', await addPage(s, csrf, param(q, 'patient')));
    if (path === '/verify') return page('Verify a prescription', verifyPage(csrf));
    if (path === '/request') return page('Request access', requestPage(csrf, param(q, 'patient')));
    if ((m = /^\/jobs\/([0-9a-f]{24})(\/status)?$/.exec(path))) {
      const job = jobs.get(m[1]!);
      if (!job) return undefined;
      return m[2] ? { kind: 'json', value: jobStatus(job) } : jobPage(job);
    }
    return undefined;
  }

  function post(r: UiRequest): UiReply | undefined {
    const { path } = r;
    const form = r.form!;
    let m: RegExpExecArray | null;
    if (path === '/access/grant') return start('Grant access', (p) => act.grantAction(s, form, p));
    if (path === '/access/revoke') return start('Revoke access', (p) => act.revokeAction(s, form, p));
    if ((m = /^\/requests\/(\d{1,20})\/(approve|deny)$/.exec(path))) {
      const id = m[1]!;
      return m[2] === 'approve'
        ? start(`Approve request ${id}`, (p) => act.approveAction(s, id, form, p))
        : start(`Deny request ${id}`, (p) => act.denyAction(s, id, p));
    }
    if (path === '/emergency') return start('Emergency settings', (p) => act.emergencyAction(s, form, p));
    if ((m = /^\/records\/(\d{1,20})\/read$/.exec(path))) {
      const id = m[1]!;
      return start(`Record ${id}`, (p) => act.readAction(s, id, p));
    }
    if (path === '/add') return start('Add a record', (p) => act.addAction(s, form, p));
    if (path === '/verify') return start('Verify a prescription', (p) => act.verifyAction(s, form, p));
    if (path === '/request') return start('Request access', (p) => act.requestAction(s, form, p));
    return undefined;
  }

  return async (r) => {
    try {
      return r.method === 'GET' ? await get(r) : post(r);
    } catch (e) {
      const err = toEmrError(e);
      return page('Something went wrong', errorBox(err), err.code === 'NOT_FOUND' ? 404 : 400);
    }
  };
}
