// Batch jobs against hostile inputs and operators' accidents (docs/MANIFEST.md): rows
// confined to the manifest's directory (§ 3.1), honest counts for an invalid manifest (§ 7),
// an authenticated journal (§ 6.4), one run per journal (§ 6.4), clean stop on a signal (§ 6.5).

import { spawn } from 'node:child_process';
import { type Dirent, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsOf } from '../batch/check.js';
import { BIN } from '../helpers/cli.js';
import { failpoints, runStoppedAt } from '../helpers/failpoints.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;

beforeAll(async () => {
  w = await batchWorld();
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

/** Every file below `dir` (relative paths, sorted); none when it does not exist. */
function filesUnder(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

async function job(name: string, n: number, patients?: Patient[]) {
  const ps = patients ?? (await w.patients(1));
  const dir = join(w.data, name);
  const files = w.files(dir, n, 100, name);
  const rows = files.map((f, i) => ({ file: f, patient: ps[0]!.address, type: 'lab', title: `${name} ${i}` }));
  return { dir, rows, patients: ps, manifest: join(dir, 'm.csv') };
}

describe('batch manifests: which files a row may name (MANIFEST.md § 3.1)', () => {
  it("a row MUST NOT name a file outside the manifest directory (../, absolute, symlink) nor emr's own files; --allow-outside relaxes only the first rule", async () => {
    const j = await job('confine', 1);
    const outside = join(w.data, 'elsewhere');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'other.txt'), 'a lab result kept elsewhere\n');
    symlinkSync(join(w.home, 'keystore', 'dr.json'), join(j.dir, 'innocent.txt'));
    const a = j.patients[0]!.address;
    writeFileSync(
      j.manifest,
      csv([
        { file: j.rows[0]!.file, patient: a, type: 'lab', title: 'fine' },
        { file: '../elsewhere/other.txt', patient: a, type: 'lab', title: 'dotdot' },
        { file: join(w.home, 'keystore', 'dr.json'), patient: a, type: 'lab', title: 'keystore' },
        { file: 'innocent.txt', patient: a, type: 'lab', title: 'symlink to the keystore' },
        { file: w.pw, patient: a, type: 'lab', title: 'passphrase file in the home' },
      ]),
    );
    const r = await w.run(['--json', 'batch', 'add', j.manifest]);
    expect(r.code, r.stderr).toBe(2);
    const reasons = (r.json!.error as any).details.rows as Array<{ line: number; reason: string }>;
    expect(reasons.map((x) => x.line)).toEqual([3, 4, 5, 6]);
    expect(reasons[0]!.reason).toMatch(/outside the manifest's directory.*--allow-outside/);
    for (const x of reasons.slice(1)) expect(x.reason).toMatch(/under the emr home/);
    expect(await recordsOf(w, [a])).toHaveLength(0);

    // --allow-outside: the ../ row is fine now; emr's own files stay refused.
    const r2 = await w.run(['--json', 'batch', 'add', j.manifest, '--allow-outside', '--skip-invalid']);
    expect(r2.code).toBe(2);
    expect(r2.json!.data.counts).toMatchObject({ total: 5, added: 2, invalid: 3 });
    const got = await recordsOf(w, [a]);
    expect(got).toHaveLength(2);
  }, 60_000);
});

describe('batch: nothing under the emr home becomes a record (MANIFEST.md § 3.1, issue 20 § 11)', () => {
  it("MUST: a row MUST NOT name any file under the emr home, whatever the flags: the running agent's secret, cache/, patients/, deliveries/, any other directory of the home are refused with --allow-outside too", async () => {
    const j = await job('whole-home', 1);
    const a = j.patients[0]!.address;
    // A real agent: its per-start secret is the file an attacker's manifest would name.
    const started = await w.run(['--json', 'agent', 'start', '--timeout', '2m']);
    expect(started.code, started.stderr).toBe(0);
    const made: string[] = [];
    try {
      const secret = join(w.home, 'agent', 'agent.secret');
      expect(statSync(secret).isFile()).toBe(true);
      const inHome = ['cache', 'patients', 'deliveries', 'my-notes'].map((d) => {
        mkdirSync(join(w.home, d), { recursive: true });
        const f = join(w.home, d, `hostile-${d}.txt`);
        writeFileSync(f, `emr's own ${d}\n`);
        made.push(f);
        return f;
      });
      // The same files by a symlink from the manifest's directory.
      symlinkSync(join(w.home, 'agent', 'agent.secret'), join(j.dir, 'looks-fine.txt'));
      const rows = [
        { file: j.rows[0]!.file, patient: a, type: 'lab', title: 'fine' },
        { file: secret, patient: a, type: 'lab', title: 'agent secret' },
        { file: 'looks-fine.txt', patient: a, type: 'lab', title: 'symlink to the agent secret' },
        ...inHome.map((f) => ({ file: f, patient: a, type: 'lab', title: f })),
      ];
      writeFileSync(j.manifest, csv(rows));
      const r = await w.run(['--json', 'batch', 'add', j.manifest, '--allow-outside']);
      expect(r.code, r.stderr).toBe(2);
      const reasons = (r.json!.error as any).details.rows as Array<{ line: number; reason: string }>;
      expect(reasons.map((x) => x.line)).toEqual(rows.slice(1).map((_, i) => i + 3));
      for (const x of reasons) expect(x.reason).toMatch(/under the emr home/);
      expect(await recordsOf(w, [a])).toHaveLength(0);
    } finally {
      await w.run(['agent', 'stop']);
      for (const f of made) rmSync(f, { force: true });
    }
  }, 60_000);
});

describe('batch: a file swapped after validation (MANIFEST.md § 3.1)', () => {
  it('MUST: the bytes encrypted are the bytes validated: a row whose file became a symlink to the keystore after validation fails, and nothing of it reaches the store', async () => {
    const j = await job('swap', 1);
    writeFileSync(j.manifest, csv(j.rows));
    const blocks = () => filesUnder(join(w.home, 'ipfs', 'blocks'));
    const before = blocks();
    // Validated (hashed, confined), then stopped before the row is read for encryption:
    // the row's file is replaced by a symlink to the author's keystore.
    const r = await runStoppedAt(
      ['--home', w.home, '--profile', 'dr', '--password-file', w.pw, 'batch', 'add', j.manifest],
      'batch.journal.store',
      async () => {
        const file = join(j.dir, j.rows[0]!.file);
        rmSync(file);
        symlinkSync(join(w.home, 'keystore', 'dr.json'), file);
      },
    );
    expect(r.stopped).toBe(true);
    expect(r.code, r.stderr).toBe(2); // a row's own USAGE failure (MANIFEST.md § 7)
    expect(r.json.data.rows[0]).toMatchObject({ status: 'failed', error: { code: 'USAGE' } });
    expect(r.json.data.rows[0].error.message).toMatch(/changed while the batch ran/);
    // Checked before anything was written: no ciphertext of the keystore in the store,
    // pinned or not, and none left in the scratch directory.
    expect(blocks()).toEqual(before);
    expect(filesUnder(join(w.home, 'tmp'))).toEqual([]);
    expect(await recordsOf(w, [j.patients[0]!.address])).toHaveLength(0);
  }, 120_000);
});

describe('batch output counts (MANIFEST.md § 7)', () => {
  it('an invalid manifest reports counts.total as the rows of the manifest, not the invalid ones', async () => {
    const j = await job('counts', 3);
    const rows = [...j.rows, { file: 'missing.txt', patient: j.patients[0]!.address, type: 'lab', title: 'x' }];
    writeFileSync(j.manifest, csv(rows));
    const r = await w.run(['--json', 'batch', 'add', j.manifest]);
    expect(r.code).toBe(2);
    expect(r.json!.data.counts).toMatchObject({ total: 4, invalid: 1, added: 0, failed: 0 });
  }, 60_000);
});

/** The journal most recently written under the home's batch directory. */
function newestJournal(): string {
  const dir = join(w.home, 'batch');
  const js = readdirSync(dir)
    .filter((n) => n.endsWith('.journal'))
    .map((n) => join(dir, n));
  return js.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

describe('the batch journal is authenticated (MANIFEST.md § 6.4)', () => {
  it('an edited journal MUST be refused on --resume (exit 4, nothing registered); the untouched journal then resumes the job', async () => {
    const j = await job('tamper', 6);
    writeFileSync(j.manifest, csv(j.rows));
    const killed = await w.run(['--json', 'batch', 'add', j.manifest, '--concurrency', '1'], { env: failpoints('batch.journal.stored:3') });
    expect(killed.code).toBe(137);
    const path = newestJournal();
    const original = readFileSync(path, 'utf8');
    const lines = original.trimEnd().split('\n');
    const at = lines.findIndex((l) => JSON.parse(l).ev === 'stored');
    expect(at).toBeGreaterThan(0);
    const a = j.patients[0]!.address;

    // 1. A stored row re-typed (lab → imaging) with its MAC kept: refused.
    const edited = JSON.parse(lines[at]!);
    edited.recordType = edited.recordType === 1 ? 2 : 1;
    writeFileSync(path, [...lines.slice(0, at), JSON.stringify(edited), ...lines.slice(at + 1)].join('\n') + '\n');
    const r1 = await w.run(['--json', 'batch', 'add', j.manifest, '--resume']);
    expect(r1.code, r1.stderr + r1.stdout).toBe(4);
    expect(r1.json!.error!.code).toBe('INTEGRITY');
    expect(r1.json!.error!.message).toMatch(/fails authentication at line \d+/);
    expect(await recordsOf(w, [a])).toHaveLength(0);

    // 2. A line dropped from the middle (the chain of MACs breaks): refused too.
    writeFileSync(path, [...lines.slice(0, at), ...lines.slice(at + 1)].join('\n') + '\n');
    const r2 = await w.run(['--json', 'batch', 'add', j.manifest, '--resume']);
    expect(r2.code).toBe(4);
    expect(await recordsOf(w, [a])).toHaveLength(0);

    // 3. Put back as emr wrote it: the job finishes, every row once, each with its own type.
    writeFileSync(path, original);
    const r3 = await w.run(['--json', 'batch', 'add', j.manifest, '--resume']);
    expect(r3.code, r3.stderr + r3.stdout).toBe(0);
    const got = await recordsOf(w, [a]);
    expect(got).toHaveLength(6);
    expect(got.every((x) => x.type === 'lab')).toBe(true);
  }, 120_000);
});

describe('one run per journal (MANIFEST.md § 6.4)', () => {
  it('a second run while the first holds the journal exits 6 naming the running one; the first then adds every row once', async () => {
    const j = await job('held', 30);
    writeFileSync(j.manifest, csv(j.rows));
    let second: Awaited<ReturnType<BatchWorld['run']>> | undefined;
    // The first run is stopped right after its journal's job line, holding the lock.
    const first = await runStoppedAt(
      ['--home', w.home, '--profile', 'dr', '--password-file', w.pw, 'batch', 'add', j.manifest],
      'batch.journal.job',
      async () => {
        second = await w.run(['--json', 'batch', 'add', j.manifest]);
      },
    );
    expect(first.stopped).toBe(true);
    expect(second!.code, second!.stderr + second!.stdout).toBe(6);
    expect(second!.json!.error!.code).toBe('UNAVAILABLE');
    expect(second!.json!.error!.message).toMatch(/a batch job on this journal is already running \(pid \d+\)/);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json.data.counts.added).toBe(30);
    expect(await recordsOf(w, [j.patients[0]!.address])).toHaveLength(30);
  }, 120_000);

  it('two runs of the same job at the same instant: whichever way they interleave, every row is added once; one that met the other running exits 6', async () => {
    const j = await job('race', 30);
    writeFileSync(j.manifest, csv(j.rows));
    const [r1, r2] = await Promise.all([w.run(['--json', 'batch', 'add', j.manifest]), w.run(['--json', 'batch', 'add', j.manifest])]);
    const codes = [r1.code, r2.code].sort();
    const all = r1.stderr + r2.stderr + r1.stdout + r2.stdout;
    // [0, 6]: they overlapped and the lock held one off. [0, 0]: on a loaded machine one
    // start-up (unlock, chain connect) can outlast the other's whole job; the later run then
    // found every row done and added none.
    expect(
      [
        [0, 6],
        [0, 0],
      ],
      all,
    ).toContainEqual(codes);
    if (codes[1] === 6) {
      const loser = r1.code === 6 ? r1 : r2;
      expect(loser.json!.error!.code).toBe('UNAVAILABLE');
      expect(loser.json!.error!.message).toMatch(/a batch job on this journal is already running \(pid \d+\)/);
    } else {
      const added = [r1, r2].map((r) => r.json!.data.counts.added as number).sort();
      expect(added, all).toEqual([0, 30]);
    }
    expect(await recordsOf(w, [j.patients[0]!.address])).toHaveLength(30);
  }, 120_000);
});

describe('a batch stopped by a signal (MANIFEST.md § 6.5)', () => {
  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${sig}: one JSON document with code INTERRUPTED, counts and the --resume hint, exit ${code}; --resume then finishes`, async () => {
      const j = await job(`sig-${sig}`, 40);
      writeFileSync(j.manifest, csv(j.rows));
      const args = [
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
        '--concurrency',
        '1',
        '--batch-size',
        '5',
        '--progress',
        'json',
      ];
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      const started = new Promise<void>((resolve) =>
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString('utf8');
          if (err.includes('"event":"stored"')) resolve();
        }),
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      await started;
      child.kill(sig);
      const exit = await closed;
      clearTimeout(timer);
      expect(exit, err + out).toBe(code);
      const doc = JSON.parse(out);
      expect(doc.ok).toBe(false);
      expect(doc.error.code).toBe('INTERRUPTED');
      expect(doc.error.hint).toMatch(/--resume/);
      expect(doc.data.counts.total).toBe(40);
      expect(doc.data.counts.added).toBeLessThan(40);
      const done = await w.run(['--json', 'batch', 'add', j.manifest, '--resume']);
      expect(done.code, done.stderr + done.stdout).toBe(0);
      expect(done.json!.data.counts.added + done.json!.data.counts.alreadyDone).toBe(40);
      expect(await recordsOf(w, [j.patients[0]!.address])).toHaveLength(40);
    }, 120_000);
  }
});
