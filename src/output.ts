/**
 * The one place that turns a command's result into bytes (docs/CLI.md § Global behaviour):
 * `--json` → exactly one JSON document on stdout, `{ok, data}` or `{ok:false, error}`;
 * otherwise a human rendering. Progress, prompts and narration go to stderr in JSON mode,
 * and colour is off when NO_COLOR is set or the stream is not a terminal.
 */
import { type EmrError, toEmrError } from './errors.js';

export type FieldValue = string | number | boolean | bigint | null | undefined;

/** How a result looks to a person. Commands describe; this module draws. */
export interface View {
  title?: string;
  fields?: Array<[label: string, value: FieldValue]>;
  table?: { columns: string[]; rows: FieldValue[][] };
  lines?: string[];
  warnings?: string[];
  /** Shown once to a person at a terminal (e.g. a new mnemonic); never in JSON. */
  secret?: { label: string; value: string; note?: string };
}

export interface CommandResult<T = unknown> {
  data: T;
  view?: View;
  /** A result that is also a failure (e.g. a batch with failed rows): data AND error. */
  failure?: EmrError;
  /** The command already printed its one document itself (a server, once listening). */
  printed?: boolean;
}

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const plain: Style = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s, cyan: (s) => s };

/** ANSI styles, or none (NO_COLOR, https://no-color.org; non-TTY; TERM=dumb). */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '' && !forced) return plain;
  if (!forced && (!stream.isTTY || env.TERM === 'dumb')) return plain;
  const w = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
  return { bold: w(1, 22), dim: w(2, 22), red: w(31, 39), green: w(32, 39), yellow: w(33, 39), cyan: w(36, 39) };
}

/** JSON.stringify that keeps bigints (as decimal strings) and Uint8Arrays (as 0x hex). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return '0x' + Buffer.from(v).toString('hex');
    return v;
  });
}

/**
 * Characters a terminal acts on instead of showing: C0 controls (newline, carriage return,
 * ESC, BEL…), DEL, C1 controls (0x9b is an 8-bit CSI), bidirectional overrides and
 * isolates (they reorder what follows), and Unicode line/paragraph separators.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Terminal safety (DEVNET.md § 6.1): every string a
 * human rendering prints may come from a hostile party (a request reason, a record title,
 * a profile name, a revert reason, a manifest cell). Each unsafe character becomes a
 * visible escape (`\n`, `\x1b`, `\u{202e}`), so one value is always one line and can
 * neither move the cursor, recolour, nor forge another line. JSON output is never passed
 * through this: it stays exact data.
 */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const cp = c.codePointAt(0)!;
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}

/**
 * A URL as emr prints it anywhere (messages, hints, doctor, --json; docs/CLI.md § Global behaviour
 * ): scheme, host and port only, `/…` when a path or query was cut. Threat (issue
 * 20 § 12): providers put API keys in the user part, the path (…/v3/<key>) or the query,
 * and `doctor` printed the --ipfs-api URL whole. One function for every URL printed.
 */
export function urlLabel(url: string, fallback = 'the endpoint'): string {
  let label: string;
  try {
    const u = new URL(url);
    label = `${u.protocol}//${u.host}${u.pathname.length > 1 || u.search ? '/…' : ''}`;
  } catch {
    label = fallback;
  }
  return safeText(label.slice(0, 120));
}

function fmt(v: FieldValue): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return safeText(String(v));
}

export function renderHuman(result: CommandResult, streams: Streams, env: NodeJS.ProcessEnv = process.env): string {
  const view = result.view;
  const s = styleFor(streams.stdout, env);
  const out: string[] = [];
  if (!view) {
    // No bespoke view: print the data as indented JSON, still readable and greppable.
    // JSON escapes C0 controls itself; C1 and bidi characters pass through, hence safeText per line.
    out.push(
      ...JSON.stringify(JSON.parse(toJson(result.data)), null, 2)
        .split('\n')
        .map(safeText),
    );
    return out.join('\n') + '\n';
  }
  if (view.title) out.push(s.bold(safeText(view.title)));
  if (view.fields?.length) {
    const width = Math.max(...view.fields.map(([l]) => l.length));
    for (const [label, value] of view.fields) out.push(`  ${s.dim(safeText(label).padEnd(width))}  ${fmt(value)}`);
  }
  if (view.table) {
    const { columns, rows } = view.table;
    const cells = rows.map((r) => r.map(fmt));
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
    out.push(
      columns
        .map((c, i) => s.bold(safeText(c).padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
    for (const r of cells)
      out.push(
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
    if (rows.length === 0) out.push(s.dim('  (none)'));
  }
  for (const l of view.lines ?? []) out.push(safeText(l));
  return out.length ? out.join('\n') + '\n' : '';
}

/** Side notes for people: warnings and once-only secrets go to stderr, never stdout. */
export function renderSideNotes(result: CommandResult, streams: Streams, env: NodeJS.ProcessEnv = process.env): string {
  const s = styleFor(streams.stderr, env);
  const out: string[] = [];
  for (const w of result.view?.warnings ?? []) out.push(`${s.yellow('warning:')} ${safeText(w)}`);
  const sec = result.view?.secret;
  if (sec && streams.stderr.isTTY) {
    out.push('', s.bold(sec.label), `  ${s.cyan(sec.value)}`);
    if (sec.note) out.push(s.dim(sec.note));
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export function jsonSuccess(result: CommandResult): string {
  if (result.failure) return jsonFailure(result.failure, result.data);
  return toJson({ ok: true, data: result.data }) + '\n';
}

export function jsonFailure(e: unknown, data?: unknown): string {
  const err = toEmrError(e);
  const doc: Record<string, unknown> = {
    ok: false,
    error: { code: err.code, message: err.message, hint: err.hint ?? '', ...(err.details ? { details: err.details } : {}) },
  };
  if (data !== undefined) doc.data = data;
  return toJson(doc) + '\n';
}

export function humanError(e: unknown, streams: Streams, env: NodeJS.ProcessEnv = process.env): string {
  const err = toEmrError(e);
  const s = styleFor(streams.stderr, env);
  const lines = [`${s.red('error:')} ${safeText(err.message)}`];
  if (err.hint) lines.push(`${s.dim('hint:')} ${safeText(err.hint)}`);
  if (env.EMR_DEBUG && err.stack) lines.push(s.dim(String((err.cause as Error | undefined)?.stack ?? err.stack)));
  return lines.join('\n') + '\n';
}

/**
 * A terminal a person can watch: a TTY with a known, non-zero width. Here, not in context.ts,
 * so that a command file may ask it without loading the context (start-up, README § Build and layout).
 */
export function isTerminal(stream: { isTTY?: boolean; columns?: number }): boolean {
  return !!stream.isTTY && typeof stream.columns === 'number' && stream.columns > 0;
}
