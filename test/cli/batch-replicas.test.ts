// Issue 13 § 3 in batch jobs (docs/MANIFEST.md § 5, docs/STORAGE.md § "Replicas"): with
// several --ipfs-api, every batch record is pinned on --replicas N nodes (default all)
// BEFORE it is registered, and rows[] / the journal's `stored` lines say where. A node
// that is down stops the job (exit 6, nothing registered); --resume with fewer replicas
// finishes it. Two real test daemons.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from 'kubo-rpc-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsOf } from '../batch/check.js';
import { csv, makeWorld, type Patient, type World } from '../batch/fixture.js';
import { startDaemon, type TestDaemon } from '../ipfs/daemon.js';

let w: World;
let p: Patient[];
let d1: TestDaemon | undefined;
let d2: TestDaemon | undefined;

async function pins(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for await (const x of create({ url: d.apiUrl }).pin.ls({ type: 'recursive' })) out.push(x.cid.toV1().toString());
  return out;
}
const journalOf = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  d1 = await startDaemon();
  d2 = await startDaemon();
  w = await makeWorld();
  // The grants' key deliveries (with the type keys dr names the patients' slots by,
  // CONTRACT.md § Privacy) go where dr's batch reads: both nodes.
  p = await w.patients(2, { ipfsApis: [d1.apiUrl, d2.apiUrl] });
}, 300_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
  await d1?.stop();
  await d2?.stop();
}, 120_000);

describe('batch add with replicas (STORAGE.md § Replicas: pinned on N nodes MUST precede registration)', () => {
  it('two --ipfs-api: every record is pinned on both before it is registered; rows[].pinnedOn and the journal name them', async () => {
    const dir = join(w.data, 'rep1');
    const files = w.files(dir, 4, 2000);
    writeFileSync(join(dir, 'm.csv'), csv(files.map((f, i) => ({ file: f, patient: p[i % 2]!.address, type: 'lab' }))));
    const r = await w.run(['--json', '--ipfs-api', d1!.apiUrl, '--ipfs-api', d2!.apiUrl, 'batch', 'add', join(dir, 'm.csv')], {
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.json!.data.rows;
    expect(rows).toHaveLength(4);
    const [on1, on2] = [await pins(d1!), await pins(d2!)];
    for (const x of rows) {
      expect(x).toMatchObject({ status: 'added', pinnedOn: [d1!.apiUrl, d2!.apiUrl] });
      expect(on1).toContain(x.cid);
      expect(on2).toContain(x.cid);
    }
    const stored = journalOf(r.json!.data.journal).filter((e) => e.ev === 'stored');
    expect(stored.map((e) => e.pinnedOn)).toEqual(rows.map(() => [d1!.apiUrl, d2!.apiUrl]));
  }, 240_000);

  it('a node down: not enough replicas → exit 6, nothing registered; --resume --replicas 1 finishes with pinnedOn = the live node', async () => {
    const dir = join(w.data, 'rep2');
    const files = w.files(dir, 3, 2000, 'g');
    writeFileSync(join(dir, 'm.csv'), csv(files.map((f) => ({ file: f, patient: p[0]!.address, type: 'note' }))));
    const before = (await recordsOf(w, [p[0]!.address])).length;
    await d2!.stop();
    const apis = ['--ipfs-api', d1!.apiUrl, '--ipfs-api', d2!.apiUrl];
    const r = await w.run(['--json', ...apis, 'batch', 'add', join(dir, 'm.csv')], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(6);
    expect(r.json!.error!.code).toBe('UNAVAILABLE');
    expect(await recordsOf(w, [p[0]!.address])).toHaveLength(before);
    const r2 = await w.run(['--json', ...apis, '--replicas', '1', 'batch', 'add', join(dir, 'm.csv'), '--resume'], { timeoutMs: 180_000 });
    expect(r2.code, r2.stderr).toBe(0);
    for (const x of r2.json!.data.rows) expect(x).toMatchObject({ status: 'added', pinnedOn: [d1!.apiUrl] });
    expect(await recordsOf(w, [p[0]!.address])).toHaveLength(before + 3);
  }, 300_000);
});
