// Batch jobs against hostile inputs and operators' accidents (docs/MANIFEST.md): rows
// confined to the manifest's directory (§ 3.1), honest counts for an invalid manifest (§ 7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csv, makeWorld, type Patient, type World } from '../batch/fixture.js';
import { recordsOf } from '../batch/check.js';

let w: World;

beforeAll(async () => {
  w = await makeWorld();
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

async function job(name: string, n: number, patients?: Patient[]) {
  const ps = patients ?? (await w.patients(1));
  const dir = join(w.home, name);
  const files = w.files(dir, n, 100, name);
  const rows = files.map((f, i) => ({ file: f, patient: ps[0]!.address, type: 'lab', title: `${name} ${i}` }));
  return { dir, rows, patients: ps, manifest: join(dir, 'm.csv') };
}

describe('batch manifests: which files a row may name (MANIFEST.md § 3.1)', () => {
  it('a row MUST NOT name a file outside the manifest directory (../, absolute, symlink) nor emr\'s own files; --allow-outside relaxes only the first rule', async () => {
    const j = await job('confine', 1);
    const outside = join(w.home, 'elsewhere');
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
    for (const x of reasons.slice(1)) expect(x.reason).toMatch(/emr's own files/);
    expect(await recordsOf(w, [a])).toHaveLength(0);

    // --allow-outside: the ../ row is fine now; emr's own files stay refused.
    const r2 = await w.run(['--json', 'batch', 'add', j.manifest, '--allow-outside', '--skip-invalid']);
    expect(r2.code).toBe(2);
    expect(r2.json!.data.counts).toMatchObject({ total: 5, added: 2, invalid: 3 });
    const got = await recordsOf(w, [a]);
    expect(got).toHaveLength(2);
  }, 60_000);
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
