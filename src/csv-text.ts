/**
 * CSV for people's spreadsheets (`emr audit --format csv`, `emr report disclosures --format
 * csv`; docs/CLI.md § Sharing, `emr audit`): RFC 4180 fields, a header row, LF line ends.
 *
 * Hand-written beside the RFC 4180 reader of batch manifests (batch/csv.ts) rather than a
 * dependency: csv-stringify 6.9.0 (its `escape_formulas` does the same as FORMULA below)
 * would be the project's first CSV package, and every worktree shares node_modules by hard
 * link, so adding one means a fresh `npm ci` (10 334 files, 335 MB) in each, for ~20 lines.
 *
 * - A field holding `,`, `"`, CR or LF is quoted, inner quotes doubled (RFC 4180 § 2.6, 2.7).
 * - Values come from the chain (reasons, names): each is first made one printable line
 *   (output.ts safeText: `\n`, `\x1b`, `\u{202e}` as visible escapes), so a record is one
 *   line and no cell moves a terminal's cursor.
 * - Formula injection (OWASP "CSV Injection"): a cell a spreadsheet would evaluate — one that
 *   starts with `=`, `+`, `-`, `@`, TAB or CR, or their full-width forms — is prefixed with
 *   `'`, so it shows as text.
 */
import { safeText } from './output.js';

const FORMULA = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/u;

export type CsvCell = string | number | boolean | null | undefined;

/** One field: neutralised, escaped, quoted when it must be. */
export function csvField(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? safeText(v) : String(v);
  if (typeof v === 'string' && FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The header and one line per row (no line ends: callers join them). */
export function csvLines(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<CsvCell>>): string[] {
  return [columns.map(csvField).join(','), ...rows.map((r) => columns.map((_, i) => csvField(r[i])).join(','))];
}
