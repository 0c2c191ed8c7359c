// Every `§` citation in src/ and docs/ (and the README) names a section that exists
// (issue 22 point 13: `crypto/bundle.ts` cited FORMAT.md § 6, which never existed).
// A citation is `FILE.md § 3.4`, `FILE.md § Words`, `README § Words`, or a bare `§ 3.4`
// that continues the last file named in the same comment or paragraph (in docs/, a bare
// `§` with none named before it is the document itself).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const DOCS = join(ROOT, 'docs');
const docFiles = readdirSync(DOCS).filter((f) => f.endsWith('.md'));

/** Headings of a Markdown file, numbers split off: `### 3.1 Which files` → {num: '3.1', title: 'Which files'}. */
function headings(file: string): Array<{ num?: string; title: string }> {
  const out: Array<{ num?: string; title: string }> = [];
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    // A numbered clause is a section too: `1.3 Header parsing. …`, `- 3.5 A revoke …`.
    const clause = /^(?:- )?(\d+[A-Z]?\.\d+(?:\.\d+)*)\s/.exec(line);
    if (clause) out.push({ num: clause[1]!, title: '' });
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const text = m[1]!.replace(/`/g, '').trim();
    const n = /^(\d+[A-Z]?(?:\.\d+)*)\.?\s+(.*)$/.exec(text);
    out.push(n ? { num: n[1]!, title: n[2]! } : { title: text });
  }
  return out;
}

const sections = new Map<string, ReturnType<typeof headings>>();
for (const f of docFiles) sections.set(f, headings(join(DOCS, f)));
sections.set('README', headings(join(ROOT, 'README.md')));

/** Whether `ref` (the text after `§ `) names one of the file's sections. */
function exists(file: string, refIn: string): boolean {
  let ref = refIn;
  const hs = sections.get(file);
  if (!hs) return false;
  // A number, or a range of them (`3.3–3.7`): both ends must exist.
  const num = /^(\d+[A-Z]?(?:\.\d+)*)(?:[–-](\d+[A-Z]?(?:\.\d+)*))?(?![\w])/.exec(ref);
  if (num) return [num[1], num[2]].every((n) => n === undefined || hs.some((h) => h.num === n));
  ref = ref.replace(/^["“]([^"”]*)["”].*$/, '$1'); // a quoted name: § "CAR files"
  // A named section: the words up to the first punctuation are the start of a heading (or a
  // heading is the start of them: prose may follow the name).
  const words = ref
    .split(/[),;:'"]|\.(?:\s|$)| \(| —| -- |`/)[0]!
    .trim()
    .toLowerCase();
  if (!words) return false;
  return hs.some((h) => {
    // `### \`emr record void\`` is cited as `§ record void`.
    const t = h.title.toLowerCase().replace(/^emr /, '');
    return t.startsWith(words) || (words.startsWith(t) && /^\W|^$/.test(words.slice(t.length)));
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : /\.(ts|md|mjs|cjs|js|sol)$/.test(d.name) ? [join(dir, d.name)] : [],
  );
}

/** Blocks a citation's context spans: a comment (ts) or a paragraph (md), lines joined. */
function blocks(file: string): Array<{ line: number; text: string }> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Array<{ line: number; text: string }> = [];
  let cur: { line: number; parts: string[] } | undefined;
  const flush = () => {
    if (cur) out.push({ line: cur.line, text: cur.parts.join(' ') });
    cur = undefined;
  };
  const md = file.endsWith('.md');
  lines.forEach((raw, i) => {
    const t = md ? raw.trim() : (/^\s*(?:\/\/+|\/\*+|\*+\/?)\s?(.*)$/.exec(raw)?.[1] ?? raw).trim();
    const isComment = md || /^\s*(\/\/|\/\*|\*)/.test(raw);
    if (!t || !isComment) {
      flush();
      if (!md && t) out.push({ line: i + 1, text: t }); // code with an inline citation
      return;
    }
    if (md && /^(?:#{1,6}\s|\||- |\d+\. )/.test(t)) flush();
    if (md && /^#{1,6}\s/.test(t)) {
      flush();
      out.push({ line: i + 1, text: t });
      return;
    }
    cur ??= { line: i + 1, parts: [] };
    cur.parts.push(t);
  });
  flush();
  return out;
}

/** The citations in one block of text: what precedes each `§` says which document it names. */
function cited(text: string, self: string | undefined): Array<{ file: string; ref: string }> {
  const out: Array<{ file: string; ref: string }> = [];
  let current = self;
  let lastEnd = -Infinity;
  for (const m of text.matchAll(/(\S*)\s*§\s*/g)) {
    // In a document, a bare § is its own section unless it continues a list of another
    // document's (`MANIFEST.md § 3.2, § 3.3`); in code, it continues the comment's document.
    if (self && m.index! - lastEnd > 12) current = self;
    lastEnd = m.index! + m[0].length;
    const before = m[1]!.replace(/^[(`*[]+|[`*]+$/g, '');
    const after = text
      .slice(m.index! + m[0].length)
      .split(/\s+/)
      .slice(0, 7);
    const stop = after.findIndex((w) => /\.md\b|README|§/.test(w));
    const ref = (stop < 0 ? after : after.slice(0, Math.max(1, stop))).join(' ');
    lastEnd += ref.split(/[),;:]/)[0]!.length;
    const own = /^(?:docs\/)?([A-Z][A-Z0-9_-]*\.md)$/.exec(before)?.[1] ?? (before === 'README' ? 'README' : undefined);
    if (own) current = own;
    else if (/\.md$|^EIP-|^RFC|^issue$|^\d+$/i.test(before)) {
      current = undefined; // another project's document (age.md, EIP-712, an issue): not ours to check
      continue;
    }
    if (!current) continue; // a bare § with no document named before it
    out.push({ file: current, ref });
  }
  return out;
}

function citations(): Array<{ where: string; file: string; ref: string }> {
  const files = [...walk(join(ROOT, 'src')), ...walk(DOCS), join(ROOT, 'README.md')];
  const out: Array<{ where: string; file: string; ref: string }> = [];
  for (const f of files) {
    const self = f.startsWith(DOCS) ? basename(f) : undefined;
    for (const b of blocks(f)) for (const c of cited(b.text, self)) out.push({ where: `${f.slice(ROOT.length + 1)}:${b.line}`, ...c });
  }
  return out;
}

describe('§ citations', () => {
  it('finds the citations it checks (the scanner is not blind)', () => {
    const all = citations();
    expect(all.length).toBeGreaterThan(200);
    expect(all.some((c) => c.file === 'FORMAT.md' && c.ref.startsWith('3.4'))).toBe(true);
    expect(exists('FORMAT.md', '9')).toBe(false); // FORMAT.md has §§ 1–6 (§ 6 since issue 21 § 5)
    expect(exists('CLI.md', 'Global behaviour')).toBe(true);
    expect(exists('CLI.md', 'Nowhere at all')).toBe(false);
  });

  it('every § citation names a section that exists in the document it names', () => {
    const bad = citations()
      .filter((c) => !exists(c.file, c.ref))
      .map((c) => `${c.where}: ${c.file} § ${c.ref}`);
    expect(bad).toEqual([]);
  });
});
