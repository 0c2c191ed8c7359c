/**
 * A record's content, rendered for a person (docs/UI.md § 2.1, the record page): a FHIR
 * resource or Bundle as one card per resource (what it is, its status, its value, its
 * narrative as plain text), plain text as text, anything else as its size and hash. Every
 * string is the record's own and hostile: it goes through `html` (escaped), and a narrative's
 * XHTML is reduced to its text, never inserted as markup. Sizes and counts are bounded.
 */
import { type Html, html } from './html.js';

const MAX_TEXT = 256 * 1024;
const MAX_JSON = 4 * 1024 * 1024;
const MAX_RESOURCES = 200;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The text of an XHTML narrative: tags dropped, the few entities FHIR narratives use decoded. */
export function narrativeText(div: string): string {
  return div
    .slice(0, MAX_TEXT)
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h\d)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(lt|gt|quot|apos|amp|#\d{1,6}|#x[0-9a-f]{1,6});/gi, (_, e: string) => {
      const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };
      if (named[e.toLowerCase()]) return named[e.toLowerCase()]!;
      const cp = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    })
    .replace(/\n\s*\n+/g, '\n')
    .trim();
}

function codeText(c: unknown): string | undefined {
  if (!isObj(c)) return undefined;
  const coding = Array.isArray(c.coding) ? c.coding.find(isObj) : undefined;
  return str(c.text) ?? str(coding?.display) ?? str(coding?.code);
}

function valueText(r: Json): string | undefined {
  const q = r.valueQuantity;
  if (isObj(q) && (typeof q.value === 'number' || typeof q.value === 'string'))
    return `${q.value} ${str(q.unit) ?? str(q.code) ?? ''}`.trim();
  return str(r.valueString) ?? codeText(r.valueCodeableConcept);
}

function resourceCard(r: Json): Html {
  const type = str(r.resourceType) ?? 'resource';
  const what =
    codeText(r.code) ??
    codeText(r.medicationCodeableConcept) ??
    codeText(r.vaccineCode) ??
    codeText(r.type) ??
    str(r.description) ??
    str(r.title);
  const when =
    str(r.effectiveDateTime) ??
    str(r.authoredOn) ??
    str(r.occurrenceDateTime) ??
    str(r.onsetDateTime) ??
    str(r.recordedDate) ??
    str(r.date) ??
    str(isObj(r.period) ? r.period.start : undefined);
  const facts: Array<[string, string | undefined]> = [
    ['what', what],
    ['value', valueText(r)],
    ['status', str(r.status) ?? codeText(r.clinicalStatus)],
    ['date', when],
    ['dosage', Array.isArray(r.dosageInstruction) && isObj(r.dosageInstruction[0]) ? str(r.dosageInstruction[0].text) : undefined],
    ['id', str(r.id)],
  ];
  const narrative = isObj(r.text) && typeof r.text.div === 'string' ? narrativeText(r.text.div) : '';
  return html`<article class="resource"><h3>${type}</h3><dl>${facts
    .filter(([, v]) => v)
    .map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>${
    narrative ? html`<p class="narrative"><span class="muted">Narrative:</span> ${narrative}</p>` : ''
  }</article>`;
}

/** The resources of a FHIR JSON document (a Bundle's entries, or the one resource), bounded. */
function resourcesOf(doc: Json): Json[] {
  if (doc.resourceType === 'Bundle' && Array.isArray(doc.entry))
    return doc.entry
      .slice(0, MAX_RESOURCES)
      .map((e) => (isObj(e) ? e.resource : undefined))
      .filter(isObj);
  return [doc];
}

function utf8Text(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The content of a verified record, as markup (everything in it escaped). */
export function renderContent(bytes: Uint8Array, meta: { fhir?: boolean; fileName?: string | null }): Html {
  const text = bytes.length <= MAX_JSON ? utf8Text(bytes) : undefined;
  if (text !== undefined && (meta.fhir || /^\s*\{/.test(text))) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
    if (isObj(doc) && typeof doc.resourceType === 'string') {
      const rs = resourcesOf(doc);
      return html`<section aria-labelledby="content-h"><h2 id="content-h">Content (FHIR ${doc.resourceType}, ${rs.length} resource${
        rs.length === 1 ? '' : 's'
      })</h2>${rs.map(resourceCard)}<details><summary>FHIR JSON</summary><pre>${JSON.stringify(doc, null, 2).slice(0, MAX_TEXT)}</pre></details></section>`;
    }
  }
  if (text !== undefined)
    return html`<section aria-labelledby="content-h"><h2 id="content-h">Content</h2><pre class="content">${text.slice(0, MAX_TEXT)}</pre>${
      text.length > MAX_TEXT ? html`<p class="muted">Shown: the first ${MAX_TEXT} characters of ${text.length}.</p>` : ''
    }</section>`;
  return html`<section aria-labelledby="content-h"><h2 id="content-h">Content</h2><p>A binary file of ${bytes.length} bytes${
    meta.fileName ? html` (<code>${meta.fileName}</code>)` : ''
  }: fetch it with <code>emr fetch</code> to open it.</p></section>`;
}
