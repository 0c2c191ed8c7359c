// Parsing and the journal without a chain (docs/MANIFEST.md §§ 2, 3, 6): RFC 4180 edge
// cases, NDJSON shape errors, torn journal tails and corruption.

import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/batch/csv.js';
import { Journal, readJournal, replay } from '../../src/batch/journal.js';
import { manifestFormat, parseManifest } from '../../src/batch/manifest.js';

describe('CSV (RFC 4180)', () => {
  it('quoted commas, doubled quotes, CRLF and line breaks inside quotes; lines counted from the row start', () => {
    const { records, errors } = parseCsv('a,b\r\n"x,1","say ""hi"""\r\n"multi\nline",z\nlast,row');
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
      { line: 5, fields: ['last', 'row'] },
    ]);
  });
  it('every quoting error is reported with its line, and parsing goes on', () => {
    const { records, errors } = parseCsv('h\n"a"b\nc"d\nok\n"open');
    expect(errors).toEqual([
      { line: 2, reason: 'bad CSV quoting: text after a closing quote' },
      { line: 3, reason: 'bad CSV quoting: quote inside an unquoted field' },
      { line: 5, reason: 'bad CSV quoting: unclosed quote' },
    ]);
    expect(records.map((r) => r.fields[0])).toEqual(['h', 'ok']);
  });
});

describe('manifest', () => {
  it('format by extension, else by the first character', () => {
    expect(manifestFormat('a.CSV', '{')).toBe('csv');
    expect(manifestFormat('a.jsonl', 'x')).toBe('ndjson');
    expect(manifestFormat('a.txt', '  {"file":1}')).toBe('ndjson');
    expect(manifestFormat('a.txt', 'file,patient')).toBe('csv');
  });
  it('relative files resolve against the manifest directory; extra columns become meta; empty title is absent', () => {
    const m = parseManifest('File,Patient,Type,Title,MRN\nx/a.txt,alice,lab,,42\n/abs/b.txt,bob,note,T,7\n', {
      path: 'm.csv',
      baseDir: '/data/job',
    });
    expect(m.problems).toEqual([]);
    expect(m.rows[0]).toMatchObject({ line: 2, file: '/data/job/x/a.txt', patient: 'alice', type: 'lab', meta: { MRN: '42' } });
    expect(m.rows[0]!.title).toBeUndefined();
    expect(m.rows[1]).toMatchObject({ file: '/abs/b.txt', title: 'T' });
  });
  it('duplicate header columns and over-long values are errors; an empty manifest is an error', () => {
    expect(parseManifest('file,file,patient,type\n', { path: 'm.csv', baseDir: '/' }).problems[0]!.reason).toMatch(
      /duplicate column 'file'/,
    );
    const long = parseManifest(`file,patient,type,title\na,b,lab,${'x'.repeat(4097)}\n`, { path: 'm.csv', baseDir: '/' });
    expect(long.problems).toEqual([{ line: 2, reason: 'title is longer than 4096 characters' }]);
    expect(parseManifest('', { path: 'm.csv', baseDir: '/' }).problems[0]!.reason).toMatch(/empty manifest/);
    expect(parseManifest('\n', { path: 'm.ndjson', baseDir: '/' }).problems[0]!.reason).toMatch(/no rows/);
  });
  it('NDJSON: arrays and non-string meta are refused with their line', () => {
    const m = parseManifest('[1]\n{"file":"a","patient":"p","type":"lab","meta":{"n":1}}\n', { path: 'm.ndjson', baseDir: '/' });
    expect(m.problems).toEqual([
      { line: 1, reason: 'not a JSON object' },
      { line: 2, reason: 'meta must be an object of strings' },
    ]);
  });
});

describe('journal', () => {
  const job = { ev: 'job' as const, v: 1, manifest: '/m', manifestSha256: 'aa', author: '0x1', chainId: '1', contract: '0x2', rows: 1 };
  it('a torn last line is ignored and cut off before the next append', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'emr-journal-')), 'j.journal');
    const j = Journal.open(path);
    j.append(job);
    j.append({ ev: 'store', key: 'k', line: 2 });
    j.close();
    appendFileSync(path, '{"ev":"stored","key":"k","li');
    expect(readJournal(path).events).toHaveLength(2);
    const j2 = Journal.open(path);
    j2.append({ ev: 'failed', key: 'k', line: 2, code: 'USAGE', reason: 'x' });
    j2.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).ev)).toEqual(['job', 'store', 'failed']);
  });
  it('a bad complete line is corruption (IntegrityError), and a file not starting with a job line is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emr-journal-'));
    writeFileSync(join(dir, 'bad'), JSON.stringify(job) + '\nnot json\n{"ev":"store","key":"k","line":1}\n');
    expect(() => readJournal(join(dir, 'bad'))).toThrow(/corrupt at line 2/);
    writeFileSync(join(dir, 'other'), '{"ev":"store","key":"k","line":1}\n');
    expect(() => readJournal(join(dir, 'other'))).toThrow(/not a batch journal/);
  });
  it('replay: confirmed beats failed; open transactions are in flight until confirmed or abandoned', () => {
    const s = replay([
      job,
      { ev: 'stored', key: 'a', line: 2, patient: '0x3', recordType: 1, cid: 'c', cidCodec: 0x55, digest: '0x00', sha256: 's', size: 1 },
      { ev: 'tx', txHash: '0xt1', nonce: 0, keys: ['a'], raw: '0x' },
      { ev: 'abandoned', txHash: '0xt1', reason: 'reverted' },
      { ev: 'failed', key: 'a', line: 2, code: 'ACCESS_DENIED', reason: 'x' },
      { ev: 'tx', txHash: '0xt2', nonce: 1, keys: ['a'], raw: '0x' },
    ]);
    expect(s.inflight.map((t) => t.txHash)).toEqual(['0xt2']);
    expect(s.failed.has('a')).toBe(true);
    const done = replay([...([] as any[]), job, { ev: 'confirmed', txHash: '0xt2', ids: { a: '7' }, gasUsed: '100', blockNumber: 3 }]);
    expect(done.confirmed.get('a')).toEqual({ id: '7', txHash: '0xt2' });
    expect(done.inflight).toEqual([]);
  });
});
