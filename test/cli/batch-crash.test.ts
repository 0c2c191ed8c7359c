// Crash safety of `emr batch add` (docs/MANIFEST.md § 6): SIGKILL at journal points
// across every step (failpoints batch.journal.*, docs/TESTING.md § Failpoints) and at random times, then `--resume`:
// on chain and in the store, 0 records lost and 0 duplicated.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptAll, recordsOf, sha256Of } from '../batch/check.js';
import { BIN } from '../helpers/cli.js';
import { type FailpointSpec, failpoints } from '../helpers/failpoints.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;

beforeAll(async () => {
  w = await batchWorld();
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

/** A fresh job: `n` rows over 2 fresh patients, so its records can be counted alone. */
async function job(
  name: string,
  n: number,
): Promise<{ manifest: string; patients: Patient[]; rows: Array<Record<string, string>>; dir: string }> {
  const patients = await w.patients(2);
  const dir = join(w.data, name);
  const files = w.files(dir, n, 100, name);
  const rows = files.map((f, i) => ({ file: f, patient: patients[i % 2]!.address, type: i % 3 ? 'lab' : 'note', title: `${name} ${i}` }));
  const manifest = join(dir, 'm.csv');
  writeFileSync(manifest, csv(rows));
  return { manifest, patients, rows, dir };
}

/** Exactly one record per row on chain, each stored and decrypting to its file. */
async function assertExactlyOnce(j: Awaited<ReturnType<typeof job>>): Promise<void> {
  const onChain = await recordsOf(
    w,
    j.patients.map((p) => p.address),
  );
  const idOf = new Map(j.patients.map((p) => [p.address, p.identity]));
  const dec = await decryptAll(
    w.home,
    onChain.map((r) => ({ cid: r.cid, identity: idOf.get(r.patient)! })),
  );
  const got = [...dec.values()].map((d) => `${d.patient}|${d.title}|${d.sha256}`).sort();
  const want = j.rows.map((r) => `${r.patient}|${r.title}|${sha256Of(join(j.dir, r.file!))}`).sort();
  expect(got).toEqual(want);
  expect(onChain).toHaveLength(j.rows.length);
}

const ARGS = ['--batch-size', '4', '--concurrency', '2'];

// 12 rows, batches of 4: journal = job + 12 store + 12 stored + 3 × (tx, sent, confirmed) = 34 lines.
const KILL_POINTS: FailpointSpec[] = [
  'batch.journal.store:1',
  'batch.journal.store:6',
  'batch.journal.stored:1',
  'batch.journal.stored:5',
  'batch.journal.stored:12',
  'batch.journal.tx:1',
  'batch.journal.tx:2',
  'batch.journal.tx:3',
  'batch.journal.sent:1',
  'batch.journal.sent:2',
  'batch.journal.sent:3',
  'batch.journal.confirmed:1',
  'batch.journal.confirmed:2',
  'batch.journal.confirmed:3',
  'batch.journal.torn:2',
  'batch.journal.torn:9',
  'batch.journal.torn:18',
  'batch.journal.torn:27',
  'batch.journal.torn:30',
  'batch.journal.torn:34',
];

describe('emr batch add: SIGKILL at journal points, then --resume', () => {
  it.each(KILL_POINTS)(
    'killed at %s: resume adds every row exactly once',
    async (point) => {
      const j = await job(`k-${point.replace('batch.journal.', '').replace(':', '-')}`, 12);
      const killed = await w.run(['--json', 'batch', 'add', j.manifest, ...ARGS], { env: failpoints(point) });
      expect(killed.code, killed.stderr).toBe(137); // 128 + SIGKILL
      expect(killed.stdout).toBe('');
      // Without --resume an unfinished job is refused (nothing sent twice by accident).
      if (['batch.journal.stored:5', 'batch.journal.tx:2', 'batch.journal.sent:1'].includes(point)) {
        const again = await w.run(['--json', 'batch', 'add', j.manifest, ...ARGS]);
        expect(again.code).toBe(2);
        expect(again.json?.error?.hint).toMatch(/--resume/);
      }
      const r = await w.run(['--json', 'batch', 'add', j.manifest, '--resume', ...ARGS]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.json!.data.counts.added + r.json!.data.counts.alreadyDone).toBe(12);
      await assertExactlyOnce(j);
      if (!['batch.journal.store:1', 'batch.journal.tx:3', 'batch.journal.torn:34'].includes(point)) return;
      // And once more: nothing new.
      const done = await w.run(['--json', 'batch', 'add', j.manifest]);
      expect(done.code).toBe(0);
      expect(done.json!.data.counts).toMatchObject({ added: 0, alreadyDone: 12 });
    },
    60_000,
  );
});

describe('emr batch add: real SIGKILLs at random times, then --resume', () => {
  it.each([0, 1, 2])(
    'random kill #%i',
    async (k) => {
      const j = await job(`rand-${k}`, 40);
      const child = spawn(
        process.execPath,
        [
          BIN,
          '--home',
          w.home,
          '--profile',
          'dr',
          '--password-file',
          w.pw,
          '--json',
          'batch',
          'add',
          j.manifest,
          '--batch-size',
          '3',
          '--concurrency',
          '2',
          '--progress',
          'json',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      );
      let stored = 0;
      const target = 3 + Math.floor(Math.random() * 30);
      // Kill once the job is really under way (past start-up), at a random row.
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          stored += (d.toString().match(/"event":"(stored|row)"/g) ?? []).length;
          if (stored >= target && child.exitCode === null) child.kill('SIGKILL');
        });
        child.on('close', () => resolve());
      });
      const r = await w.run(['--json', 'batch', 'add', j.manifest, '--resume', '--batch-size', '3']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.json!.data.counts.added + r.json!.data.counts.alreadyDone).toBe(40);
      await assertExactlyOnce(j);
    },
    60_000,
  );
});
