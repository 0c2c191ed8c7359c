// Issue 22 points 2 and 3, through the binary on a devnet:
// 2: the progress bar is not drawn on a 0-column pty (it counts as no terminal, docs/CLI.md
//    § Global behaviour); progress names the phases before the first row and per transaction.
// 3: people see the counts and only the rows that need attention (not one line per row, no
//    tx hashes); --json rows carry `file` and `title` so results can be matched back.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoppedAt } from '../helpers/failpoints.js';
import { emrInPty } from '../helpers/pty.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;
let patients: Patient[];

beforeAll(async () => {
  w = await batchWorld();
  patients = await w.patients(2);
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
  if (w) for (const d of [w.home, w.data]) rmSync(d, { recursive: true, force: true });
});

describe('batch add: a ^C before the first row is sent (issue 22 point 2)', () => {
  it('still ends with the result document, every row not done, exit 130; nothing registered', async () => {
    const d = join(w.data, 'early-int');
    const list = w.files(d, 3, 64).map((f, i) => ({ file: f, patient: patients[i % 2]!.address, type: 'lab', title: `early ${i}` }));
    writeFileSync(join(d, 'm.csv'), csv(list));
    // Stopped as validation starts; SIGINT arrives there (pending until SIGCONT), no sleeps.
    const r = await runStoppedAt(
      ['--home', w.home, '--profile', 'dr', '--password-file', w.pw, 'batch', 'add', join(d, 'm.csv')],
      'batch.validating',
      async (pid) => {
        process.kill(pid, 'SIGINT');
      },
    );
    expect(r.stopped).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.json?.ok).toBe(false);
    expect(r.json?.error?.code).toBe('INTERRUPTED');
    const data = r.json!.data;
    expect(data.counts).toMatchObject({ total: 3, added: 0, failed: 3 });
    expect(data.rows.map((x: any) => [x.status, x.error.code, x.file])).toEqual(list.map((x) => ['failed', 'INTERRUPTED', x.file]));
    expect(data.transactions).toBe(0);
    const again = await w.run(['--json', 'batch', 'add', join(d, 'm.csv')], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json!.data.counts).toMatchObject({ total: 3, added: 3 });
  }, 180_000);
});

describe('batch add: what it shows', () => {
  const dir = () => join(w.data, 'job');
  const rows = () =>
    w.files(dir(), 30, 64).map((f, i) => ({ file: f, patient: patients[i % 2]!.address, type: 'lab', title: `panel ${i}` }));

  it('--json rows carry file and title; --progress json names the phases, the first before any row', async () => {
    const list = rows();
    writeFileSync(join(dir(), 'm.csv'), csv(list));
    const r = await w.run(['--json', 'batch', 'add', join(dir(), 'm.csv'), '--batch-size', '10', '--progress', 'json'], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const data = r.json!.data;
    data.rows.forEach((row: { file: string; title: string }, i: number) => {
      expect(row.file).toBe(list[i]!.file);
      expect(row.title).toBe(`panel ${i}`);
    });
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const phases = events.filter((e) => e.event === 'phase').map((e) => e.phase);
    expect(phases.slice(0, 3)).toEqual(['validating', 'unlocking', 'encrypting']);
    expect(phases.filter((p) => p === 'sending')).toHaveLength(3);
    expect(phases.filter((p) => p === 'confirming')).toHaveLength(3);
    const firstRow = events.findIndex((e) => e.event === 'stored' || e.event === 'row');
    expect(events.findIndex((e) => e.event === 'phase')).toBeLessThan(firstRow);
  }, 150_000);

  it('a re-run on a 0-column pty: no bar drawn, a summary, not thirty "already done" lines', async () => {
    const args = ['--home', w.home, '--profile', 'dr', '--password-file', w.pw, 'batch', 'add', join(dir(), 'm.csv')];
    const r = await emrInPty(args, { cols: 0, timeoutMs: 120_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toMatch(/\[[#.]{30}\]/);
    expect(r.output).not.toContain('validating…');
    expect(r.output).toMatch(/Already done: 0 added, 30 already done/);
    expect(r.output.split('\n').filter((l) => /already-done/.test(l))).toEqual([]);
  }, 150_000);

  it('on a terminal with a width the phase shows before the first row', async () => {
    writeFileSync(join(dir(), 'one.txt'), 'one more\n');
    writeFileSync(join(dir(), 'm2.csv'), csv([{ file: 'one.txt', patient: patients[0]!.address, type: 'lab', title: 'one' }]));
    const args = ['--home', w.home, '--profile', 'dr', '--password-file', w.pw, 'batch', 'add', join(dir(), 'm2.csv')];
    const r = await emrInPty(args, { cols: 120, timeoutMs: 120_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/validating…/);
    expect(r.output).toMatch(/stored 1\/1, confirmed 1\/1/);
  }, 150_000);

  it('people see only the rows that need attention, with the file and the reason', async () => {
    const list = [
      { file: 'a.txt', patient: patients[0]!.address, type: 'lab', title: 'a' },
      { file: 'missing.txt', patient: patients[1]!.address, type: 'lab', title: 'gone' },
      { file: 'b.txt', patient: patients[1]!.address, type: 'lab', title: 'b' },
    ];
    writeFileSync(join(dir(), 'a.txt'), 'a\n');
    writeFileSync(join(dir(), 'b.txt'), 'b\n');
    writeFileSync(join(dir(), 'm3.csv'), csv(list));
    const r = await w.run(['batch', 'add', join(dir(), 'm3.csv'), '--skip-invalid'], { timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/2 added, 0 already done, 1 invalid, 0 failed/);
    const tableRows = r.stdout.split('\n').filter((l) => /^\s*\d+\s+(added|invalid|failed|already-done)\s/.test(l));
    expect(tableRows).toHaveLength(1);
    expect(tableRows[0]).toMatch(/invalid\s+missing\.txt/);
    expect(r.stdout).not.toMatch(/0x[0-9a-f]{64}/);
  }, 150_000);
});
