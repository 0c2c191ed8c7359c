/**
 * HTML for the local web view (docs/UI.md § 3.4): every page is built with the `html`
 * template tag, which escapes every interpolated value unless it is already `Html` built
 * the same way. A title, a FHIR narrative, a request reason or a chain string can therefore
 * only ever become text: `<img src=x onerror=…>` shows as those characters. Control and
 * bidirectional-override characters are shown as `\uXXXX` (like the CLI's terminal output),
 * so a reason cannot reorder or hide what is around it.
 */

/** Markup that was built by `html` (or is a constant of ours): the only thing inserted unescaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text → HTML text or attribute value (double or single quoted). */
export function escapeHtml(value: string): string {
  return value
    .replace(
      /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )
    .replace(/[&<>"']/g, (c) => ENTITY[c]!);
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** The template tag: literal parts are ours, every `${value}` is escaped (arrays joined). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** A date-time for people: `2026-12-05 14:03 UTC` (the page shows UTC, as the CLI does). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}
