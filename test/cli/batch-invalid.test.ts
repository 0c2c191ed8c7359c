// Whole-manifest validation (docs/MANIFEST.md § 4): every bad row reported with its line
// and reason, exit 2, nothing on chain; --skip-invalid adds the rest; no prompt ever.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsOf } from '../batch/check.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;
let p: Patient[];
let unregistered: Patient[];
let dir: string;

beforeAll(async () => {
  w = await batchWorld();
  p = await w.patients(2);
  unregistered = await w.patients(1, { register: false });
  dir = join(w.data, 'inv');
  w.files(dir, 6, 50, 'ok');
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

async function expectInvalid(name: string, text: string, want: Array<[number, RegExp]>) {
  const m = join(dir, name);
  writeFileSync(m, text);
  const r = await w.run(['--json', 'batch', 'add', m]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.json!.ok).toBe(false);
  expect(r.json!.error!.code).toBe('USAGE');
  const details = (r.json!.error as any).details.rows as Array<{ line: number; reason: string }>;
  expect(details.map((d) => d.line)).toEqual(want.map(([l]) => l));
  want.forEach(([, re], i) => expect(details[i]!.reason).toMatch(re));
  // The same rows, as results, in data.
  expect(r.json!.data.rows.every((x: any) => x.status === 'invalid')).toBe(true);
  expect(
    await recordsOf(
      w,
      p.map((x) => x.address),
    ),
  ).toHaveLength(0);
}

describe('emr batch add: invalid manifests', () => {
  it('reports each bad row with its line: unknown type, unknown/unregistered patient, missing file, duplicate', async () => {
    const a = p[0]!.address;
    await expectInvalid(
      'mixed.csv',
      csv([
        { file: 'ok-0.txt', patient: a, type: 'lab', title: 'fine' },
        { file: 'ok-1.txt', patient: a, type: 'x-ray-ish', title: 't' },
        { file: 'ok-2.txt', patient: 'nobody-here', type: 'lab', title: 't' },
        { file: 'ok-3.txt', patient: unregistered[0]!.address, type: 'lab', title: 't' },
        { file: 'gone.txt', patient: a, type: 'lab', title: 't' },
        { file: 'ok-0.txt', patient: a, type: 'lab', title: 'fine' },
        { file: 'ok-4.txt', patient: Wallet.createRandom().address.toLowerCase(), type: 'note', title: '' },
      ]),
      [
        [3, /unknown type 'x-ray-ish'/],
        [4, /unknown patient 'nobody-here'/],
        [5, /not registered/],
        [6, /missing file gone\.txt/],
        [7, /duplicate row.*line 2/],
        [8, /not registered/],
      ],
    );
  });

  it('bad CSV quoting and missing fields are reported with their lines', async () => {
    const a = p[0]!.address;
    const text = `file,patient,type,title\nok-0.txt,${a},lab,"fine, quoted"\nok-1.txt,${a},lab,"oops"x\nok-2.txt,${a},lab\nok-3.txt,${a},la"b,t\n"ok-4.txt",${a},lab,"multi\nline"\nok-5.txt,${a},,t\n`;
    await expectInvalid('quoting.csv', text, [
      [3, /bad CSV quoting: text after a closing quote/],
      [4, /expected 4 fields/],
      [5, /bad CSV quoting: quote inside an unquoted field/],
      [8, /missing type/],
    ]);
  });

  it('a header without a required column invalidates the manifest', async () => {
    await expectInvalid('nocol.csv', `file,who,type\nok-0.txt,${p[0]!.address},lab\n`, [
      [1, /missing column 'patient'/],
      [2, /header is invalid/],
    ]);
  });

  it('NDJSON: bad JSON, wrong field types and unknown fields', async () => {
    const a = p[0]!.address;
    const text = [
      JSON.stringify({ file: 'ok-0.txt', patient: a, type: 'lab' }),
      '{"file": "ok-1.txt", "patient": ',
      JSON.stringify({ file: 'ok-2.txt', patient: a, type: 3 }),
      JSON.stringify({ file: 'ok-3.txt', patient: a, type: 'lab', ward: '7' }),
      JSON.stringify({ file: 'ok-4.txt', patient: a, type: 'lab', meta: { ward: '7' } }),
    ].join('\n');
    await expectInvalid('bad.ndjson', text, [
      [2, /bad JSON/],
      [3, /type must be a string/],
      [4, /unknown field 'ward'/],
    ]);
  });

  it('--skip-invalid adds the valid rows and still exits 2 with both data and error', async () => {
    const a = p[1]!.address;
    const m = join(dir, 'skip.ndjson');
    writeFileSync(
      m,
      [
        JSON.stringify({ file: 'ok-5.txt', patient: a, type: 'lab', meta: { mrn: '42' } }),
        JSON.stringify({ file: 'nope.txt', patient: a, type: 'lab' }),
      ].join('\n') + '\n',
    );
    const r = await w.run(['--json', 'batch', 'add', m, '--skip-invalid']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json!.error!.code).toBe('USAGE');
    expect(r.json!.data.counts).toMatchObject({ total: 2, added: 1, invalid: 1 });
    expect(r.json!.data.rows[0]).toMatchObject({ line: 1, status: 'added', meta: { mrn: '42' } });
    expect(r.json!.data.rows[1]).toMatchObject({ line: 2, status: 'invalid' });
    expect(await recordsOf(w, [a])).toHaveLength(1);
  });

  it('never prompts: without --password-file or env it fails with exit 2', async () => {
    const m = join(dir, 'mixed.csv');
    const { emr } = await import('../helpers/cli.js');
    const r = await emr(['--home', w.home, '--profile', 'dr', '--json', 'batch', 'add', m]);
    expect(r.code).toBe(2);
    expect(r.json!.error!.message).toMatch(/password-file/);
  });

  it('MANIFEST.md § 8: the keystore is unlocked while the rows are checked: a wrong passphrase fails a valid manifest with exit 5 before any row starts', async () => {
    const { emr } = await import('../helpers/cli.js');
    const bad = join(w.data, 'wrong.pw');
    writeFileSync(bad, 'not the passphrase\n', { mode: 0o600 });
    const a = p[0]!.address;
    const good = join(dir, 'wrongpw.csv');
    writeFileSync(good, csv([{ file: 'ok-4.txt', patient: a, type: 'lab', title: 'wrong passphrase' }]));
    const before = (await recordsOf(w, [a])).length;
    const r = await emr(['--home', w.home, '--profile', 'dr', '--password-file', bad, '--json', 'batch', 'add', good]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.json!.error!.code).toBe('BAD_PASSPHRASE');
    expect(await recordsOf(w, [a])).toHaveLength(before);
    // Nothing was journaled: the job never started (a later run is not a --resume).
    const again = await w.run(['--json', 'batch', 'add', good]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json!.data.counts).toMatchObject({ added: 1, alreadyDone: 0 });
  });
});
