/**
 * Batch manifests (docs/MANIFEST.md): CSV with a header row, or NDJSON, one record per
 * row. Parsing is pure: it checks syntax and shape only; files, patients and types are
 * checked by validate.ts. Every problem is a RowProblem with its line, never a throw, so
 * the whole manifest is reported at once (MANIFEST.md § 4).
 */
import { isAbsolute, resolve } from 'node:path';
import { parseCsv } from './csv.js';

export type ManifestFormat = 'csv' | 'ndjson';

export interface ManifestRow {
  /** 1-based line in the manifest where the row starts. */
  line: number;
  /** The path as written. */
  fileName: string;
  /** Absolute path (relative paths are resolved against the manifest's directory). */
  file: string;
  /** As written: a 0x address or a local profile name. */
  patient: string;
  /** As written; may be empty for a FHIR JSON file, whose type is inferred (MANIFEST.md § 3.2). */
  type: string;
  title?: string;
  mediaType?: string;
  /** Encounter fields as written (MANIFEST.md § 3.3), checked by validate.ts like `record add`'s options. */
  encounter?: Partial<Record<(typeof ENCOUNTER)[number], string>>;
  /** Extra columns/fields: returned with the row's result, never stored (MANIFEST.md § 3). */
  meta: Record<string, string>;
}

export interface RowProblem {
  line: number;
  reason: string;
}

export interface ParsedManifest {
  format: ManifestFormat;
  rows: ManifestRow[];
  problems: RowProblem[];
}

const REQUIRED = ['file', 'patient', 'type'] as const;
/** Columns whose value may be empty: `type` only on a FHIR row (MANIFEST.md § 3.2). */
const MAY_BE_EMPTY: readonly string[] = ['type'];
/** MANIFEST.md § 3.3: the encounter fields of `record add` (--facility, --encounter-start, --encounter-end, --mrn). */
export const ENCOUNTER = ['facility', 'encounterStart', 'encounterEnd', 'mrn'] as const;
const OPTIONAL = ['title', 'mediaType', ...ENCOUNTER] as const;
/** MANIFEST.md § 3: bounds that keep a row's metadata inside the bundle limits (FORMAT.md). */
export const MAX_FIELD = 4096;

/** MANIFEST.md § 2: `.csv` is CSV, `.ndjson`/`.jsonl` is NDJSON, otherwise the first character decides. */
export function manifestFormat(path: string, text: string): ManifestFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  return text.trimStart().startsWith('{') ? 'ndjson' : 'csv';
}

export function parseManifest(text: string, opts: { path: string; baseDir: string }): ParsedManifest {
  const format = manifestFormat(opts.path, text);
  const out = format === 'csv' ? fromCsv(text, opts.baseDir) : fromNdjson(text, opts.baseDir);
  out.problems.sort((a, b) => a.line - b.line);
  return { format, ...out };
}

function makeRow(
  line: number,
  rec: Record<string, string | undefined>,
  meta: Record<string, string>,
  baseDir: string,
  problems: RowProblem[],
): ManifestRow | undefined {
  for (const k of REQUIRED) {
    if ((rec[k] ?? '').trim() === '' && !MAY_BE_EMPTY.includes(k)) {
      problems.push({ line, reason: `missing ${k}` });
      return undefined;
    }
  }
  for (const [k, v] of Object.entries({ ...rec, ...meta })) {
    if (v !== undefined && v.length > MAX_FIELD) {
      problems.push({ line, reason: `${k} is longer than ${MAX_FIELD} characters` });
      return undefined;
    }
  }
  const fileName = rec.file!.trim();
  const row: ManifestRow = {
    line,
    fileName,
    file: isAbsolute(fileName) ? fileName : resolve(baseDir, fileName),
    patient: rec.patient!.trim(),
    type: (rec.type ?? '').trim(),
    meta,
  };
  if (rec.title !== undefined && rec.title !== '') row.title = rec.title;
  if (rec.mediaType !== undefined && rec.mediaType !== '') row.mediaType = rec.mediaType.trim();
  for (const k of ENCOUNTER) {
    const v = rec[k];
    if (v !== undefined && v !== '') (row.encounter ??= {})[k] = v;
  }
  return row;
}

function fromCsv(text: string, baseDir: string): { rows: ManifestRow[]; problems: RowProblem[] } {
  const { records, errors } = parseCsv(text);
  const problems: RowProblem[] = [...errors];
  const rows: ManifestRow[] = [];
  const header = records.shift();
  if (!header) {
    if (problems.length === 0) problems.push({ line: 1, reason: 'empty manifest: expected a header row (file,patient,type,title)' });
    return { rows, problems };
  }
  // Header names are matched case-insensitively; `media_type`/`mediatype` name mediaType.
  const names = header.fields.map((f) => f.trim());
  const canon = (s: string) => {
    const l = s.toLowerCase().replace(/[_-]/g, '');
    return ({ mediatype: 'mediaType', encounterstart: 'encounterStart', encounterend: 'encounterEnd' } as Record<string, string>)[l] ?? l;
  };
  const keys = names.map((n) =>
    (REQUIRED as readonly string[]).includes(canon(n)) || (OPTIONAL as readonly string[]).includes(canon(n)) ? canon(n) : n,
  );
  const seen = new Set<string>();
  for (const k of keys) {
    if (k === '') problems.push({ line: header.line, reason: 'empty column name in header' });
    else if (seen.has(k)) problems.push({ line: header.line, reason: `duplicate column '${k}' in header` });
    seen.add(k);
  }
  const missing = REQUIRED.filter((k) => !seen.has(k));
  if (missing.length) {
    problems.push({
      line: header.line,
      reason: `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} in header`,
    });
  }
  if (problems.some((p) => p.line === header.line)) {
    // Without a usable header no row can be read; every row is reported as unreadable.
    for (const r of records) problems.push({ line: r.line, reason: 'row not checked: the header is invalid' });
    return { rows, problems };
  }
  for (const r of records) {
    if (r.fields.length !== keys.length) {
      problems.push({ line: r.line, reason: `expected ${keys.length} fields (${keys.join(',')}), found ${r.fields.length}` });
      continue;
    }
    const rec: Record<string, string> = {};
    const meta: Record<string, string> = {};
    keys.forEach((k, i) => {
      if ((REQUIRED as readonly string[]).includes(k) || (OPTIONAL as readonly string[]).includes(k)) rec[k] = r.fields[i]!;
      else meta[k] = r.fields[i]!;
      // MANIFEST.md § 3.3: an encounter column (an MRN) is stored AND still returned, to match results to local ids.
      if ((ENCOUNTER as readonly string[]).includes(k) && r.fields[i] !== '') meta[names[i]!] = r.fields[i]!;
    });
    const row = makeRow(r.line, rec, meta, baseDir, problems);
    if (row) rows.push(row);
  }
  return { rows, problems };
}

function fromNdjson(text: string, baseDir: string): { rows: ManifestRow[]; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  const rows: ManifestRow[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.replace(/\r$/, '');
    if (s.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      problems.push({ line, reason: 'not a JSON object (bad JSON)' });
      return;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      problems.push({ line, reason: 'not a JSON object' });
      return;
    }
    const o = v as Record<string, unknown>;
    const rec: Record<string, string | undefined> = {};
    for (const k of [...REQUIRED, ...OPTIONAL]) {
      const x = o[k];
      if (x === undefined || x === null) continue;
      if (typeof x !== 'string') {
        problems.push({ line, reason: `${k} must be a string` });
        return;
      }
      rec[k] = x;
    }
    const meta: Record<string, string> = {};
    if (o.meta !== undefined) {
      if (!o.meta || typeof o.meta !== 'object' || Array.isArray(o.meta) || !Object.values(o.meta).every((x) => typeof x === 'string')) {
        problems.push({ line, reason: 'meta must be an object of strings' });
        return;
      }
      Object.assign(meta, o.meta);
    }
    for (const k of ENCOUNTER) if (rec[k] !== undefined && rec[k] !== '') meta[k] = rec[k]!;
    const unknown = Object.keys(o).filter((k) => ![...REQUIRED, ...OPTIONAL, 'meta'].includes(k));
    if (unknown.length) {
      problems.push({
        line,
        reason: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (extra metadata goes in "meta")`,
      });
      return;
    }
    const row = makeRow(line, rec, meta, baseDir, problems);
    if (row) rows.push(row);
  });
  if (rows.length === 0 && problems.length === 0) problems.push({ line: 1, reason: 'empty manifest: no rows' });
  return { rows, problems };
}
