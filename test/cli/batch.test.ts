// `emr batch add` end to end through the binary on a devnet (docs/MANIFEST.md): 200 rows
// registered in batches, each decryptable by its patient; a second run adds nothing.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_TYPES } from '../../src/record-types.js';
import { decryptAll, recordsOf, sha256Of } from '../batch/check.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;
let patients: Patient[];

beforeAll(async () => {
  w = await batchWorld();
  patients = await w.patients(10);
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

describe('emr batch add: 200 rows end to end', () => {
  const dir = () => join(w.data, 'job200');
  let rows: Array<Record<string, string>>;
  let first: any;

  it('adds every row, in batches, with per-row results', async () => {
    const files = w.files(dir(), 200, 200);
    rows = files.map((f, i) => ({ file: f, patient: patients[i % 10]!.address, type: RECORD_TYPES[i % 5]!, title: `row ${i}, "quoted"` }));
    writeFileSync(join(dir(), 'm.csv'), csv(rows));
    const r = await w.run(['--json', 'batch', 'add', join(dir(), 'm.csv'), '--batch-size', '64', '--progress', 'json'], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    first = r.json!.data;
    expect(first.counts).toEqual({ total: 200, added: 200, alreadyDone: 0, invalid: 0, failed: 0 });
    expect(first.transactions).toBe(4); // 64+64+64+8
    for (const row of first.rows) {
      expect(row).toMatchObject({ status: 'added' });
      expect(row.id).toMatch(/^\d+$/);
      expect(row.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(row.cid).toMatch(/^b/);
    }
    expect(first.rows.map((x: any) => x.line)).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    // Progress went to stderr as NDJSON; stdout held only the document.
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === 'row' && e.status === 'added')).toHaveLength(200);
    expect(events.filter((e) => e.event === 'tx')).toHaveLength(4);
  }, 150_000);

  it('the chain holds exactly 200 records with the right patients and types, each decryptable by its patient', async () => {
    const onChain = await recordsOf(
      w,
      patients.map((p) => p.address),
    );
    expect(onChain).toHaveLength(200);
    const byId = new Map(onChain.map((r) => [r.id, r]));
    const idOf = new Map<string, Patient>(patients.map((p) => [p.address, p]));
    const dec = await decryptAll(
      w.home,
      first.rows.map((x: any) => ({ cid: x.cid, identity: idOf.get(x.patient)!.identity })),
    );
    first.rows.forEach((x: any, i: number) => {
      const c = byId.get(x.id)!;
      expect(c).toMatchObject({ patient: patients[i % 10]!.address, type: RECORD_TYPES[i % 5], cid: x.cid });
      const d = dec.get(x.cid)!;
      expect(d.sha256).toBe(sha256Of(join(dir(), rows[i]!.file!)));
      expect(d.title).toBe(rows[i]!.title);
      expect(d.patient).toBe(x.patient);
    });
  }, 60_000);

  it('the same manifest again says already done and adds nothing (exit 0)', async () => {
    const r = await w.run(['--json', 'batch', 'add', join(dir(), 'm.csv')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.data.counts).toMatchObject({ added: 0, alreadyDone: 200 });
    expect(r.json!.data.transactions).toBe(0);
    expect(
      await recordsOf(
        w,
        patients.map((p) => p.address),
      ),
    ).toHaveLength(200);
    // An edited manifest (a new journal) still does not re-add rows confirmed elsewhere.
    writeFileSync(join(dir(), 'm2.csv'), readFileSync(join(dir(), 'm.csv'), 'utf8').replace(/\n$/, '\n\n'));
    const r2 = await w.run(['--json', 'batch', 'add', join(dir(), 'm2.csv')]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.json!.data.counts).toMatchObject({ added: 0, alreadyDone: 200 });
  }, 60_000);
});

describe('emr batch add --workers (encryption on worker threads)', () => {
  it("--workers 2: every row added once, each bundle decryptable by its patient with the author's signature", async () => {
    const ps = await w.patients(3);
    const d = join(w.data, 'jobworkers');
    const files = w.files(d, 30, 3000, 'wk');
    const rs = files.map((f, i) => ({ file: f, patient: ps[i % 3]!.address, type: i % 2 ? 'lab' : 'note', title: `wk ${i}` }));
    writeFileSync(join(d, 'm.csv'), csv(rs));
    const r = await w.run(['--json', 'batch', 'add', join(d, 'm.csv'), '--workers', '2', '--batch-size', '8']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.data.counts).toMatchObject({ added: 30, failed: 0 });
    const onChain = await recordsOf(
      w,
      ps.map((p) => p.address),
    );
    expect(onChain).toHaveLength(30);
    const idOf = new Map(ps.map((p) => [p.address, p.identity]));
    const dec = await decryptAll(
      w.home,
      onChain.map((c) => ({ cid: c.cid, identity: idOf.get(c.patient)! })),
    );
    const got = [...dec.values()].map((x) => `${x.patient}|${x.title}|${x.sha256}`).sort();
    expect(got).toEqual(rs.map((x) => `${x.patient}|${x.title}|${sha256Of(join(d, x.file))}`).sort());
  }, 90_000);

  it('--workers must be a whole number (exit 2, nothing started)', async () => {
    const r = await w.run(['--json', 'batch', 'add', join(w.data, 'nowhere.csv'), '--workers', 'many']);
    expect(r.code).toBe(2);
    expect(r.json!.error!.message).toMatch(/--workers/);
  });
});
