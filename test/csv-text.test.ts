// src/csv-text.ts (docs/CLI.md § Sharing, `emr audit`, `--format csv`): RFC 4180 quoting, one line per
// record, and spreadsheet formula injection neutralised. In-process (npm run test:unit).
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/batch/csv.js';
import { csvField, csvLines } from '../src/csv-text.js';

describe('csv-text', () => {
  it('quotes fields with commas and quotes (doubled); empty for null; numbers as they are', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(-3)).toBe('-3');
    expect(csvField('plain')).toBe('plain');
  });

  it('a cell a spreadsheet would evaluate (= + - @, full-width too) starts with a quote mark', () => {
    for (const v of ['=1+1', '+1', '-2', '@SUM(A1)', '\uff1dcmd', '\uff0bx', '\uff0dx', '\uff20x']) expect(csvField(v)).toBe(`'${v}`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('a=b')).toBe('a=b');
  });

  it('control characters become visible escapes: one record per line, no terminal control', () => {
    expect(csvField('line\nbreak\x1b[2J')).toBe('line\\nbreak\\x1b[2J');
    expect(csvField('\tx')).toBe('\\tx');
  });

  it('the lines read back through the RFC 4180 reader of batch manifests to the same cells', () => {
    const rows = [
      ['1', 'a,b', '"q"'],
      ['2', '', 'x y'],
    ];
    const text = csvLines(['n', 'v', 'w'], rows).join('\n');
    const back = parseCsv(text);
    expect(back.errors).toEqual([]);
    expect(back.records.map((r) => r.fields)).toEqual([['n', 'v', 'w'], ...rows]);
  });
});
