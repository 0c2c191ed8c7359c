/**
 * The clinician's pages (docs/UI.md § 2.2): the patients who granted me, a patient's
 * timeline (views-records.ts), add a record (a file or a FHIR Bundle, through the same flow
 * as `emr record add`), verify a prescription file (`emr verify <file>`), request access.
 */
import { RECORD_TYPES } from '../record-types.js';
import { myPatients, type UiSession } from './data.js';
import { type Html, html, when } from './html.js';
import { postForm } from './layout.js';
import { typeBoxes } from './views-patient.js';

export async function patientsPage(s: UiSession): Promise<Html> {
  const ps = await myPatients(s);
  return ps.length
    ? html`<table><caption>Patients who granted you access</caption><thead><tr><th scope="col">Patient</th><th scope="col">May read</th><th scope="col">May add</th><th scope="col">Until</th></tr></thead><tbody>${ps.map(
        (p) =>
          html`<tr><td><a href="/patients/${p.patient}">${s.label(p.patient)}</a><br><code class="addr">${p.patient}</code></td><td>${
            p.read.join(', ') || (p.records ? `${p.records} record(s)` : '—')
          }</td><td>${p.write.join(', ') || '—'}</td><td>${when(p.expires)}</td></tr>`,
      )}</tbody></table>`
    : html`<p>No patient has granted you access yet. <a href="/request">Request access</a>.</p>`;
}

export async function addPage(s: UiSession, csrf: string, patient = ''): Promise<Html> {
  const ps = await myPatients(s);
  return html`<p>The file is encrypted to the patient, to you and to everyone the patient lets read this type, signed, stored and registered on chain: the same checks as <code>emr record add</code>. A FHIR R4 resource or Bundle is validated, its Patient checked against the patient chosen here, and split into records by type.</p>
${postForm(
  '/add',
  csrf,
  html`<label>Patient (address or profile name) <input name="patient" required maxlength="100" list="my-patients" value="${patient}" autocomplete="off"></label>
<datalist id="my-patients">${ps.map((p) => html`<option value="${p.patient}">${s.label(p.patient)}</option>`)}</datalist>
<label>File (a document, or a FHIR JSON resource or Bundle) <input type="file" name="file" required></label>
<label>Type <select name="type"><option value="">inferred (FHIR) or note</option>${RECORD_TYPES.map((t) => html`<option value="${t}">${t}</option>`)}</select></label>
<label>Title (optional, inside the encryption) <input name="title" maxlength="200"></label>`,
  'Add the record',
  { multipart: true },
)}`;
}

export function verifyPage(csrf: string): Html {
  return html`<p>Checks a prescription (or any record bundle) file: that its author’s signature is valid and that the author was a verified provider, or the patient, when it was signed. Nothing is sent.</p>
${postForm('/verify', csrf, html`<label>Bundle file (<code>.age</code>) <input type="file" name="file" required></label>`, 'Verify', { multipart: true })}`;
}

export function requestPage(csrf: string, patient = ''): Html {
  return html`<p>The patient sees your request, with the reason, and approves or denies it.</p>
${postForm(
  '/request',
  csrf,
  html`<label>Patient (address or profile name) <input name="patient" required maxlength="100" value="${patient}" autocomplete="off"></label>
${typeBoxes('types', 'Record types you ask to read', [])}
<label>Reason (shown to the patient) <textarea name="reason" rows="3" maxlength="500" required></textarea></label>`,
  'Send the request',
)}`;
}
