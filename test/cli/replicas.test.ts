// Issue 13 § 3 (docs/STORAGE.md § "Replicas"): `--ipfs-api` repeated stores and pins a
// record on every node (or `--replicas N`) BEFORE it is registered on chain, and reports
// where it is pinned. A node that is down: not registered unless enough replicas hold it
// (exit 6, nothing registered), and a retry works. Two real test daemons.

import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from 'kubo-rpc-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { startDaemon, type TestDaemon } from '../ipfs/daemon.js';

// The shared clinic (test/helpers/shared-world.ts): alice, grey verified.
const c = clinic();
let d1: TestDaemon | undefined;
let d2: TestDaemon | undefined;
const as = (who: string) => c.as(who);

async function ok(args: string[]) {
  const r = await emr([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
  return r.json!.data;
}

async function pins(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for await (const p of create({ url: d.apiUrl }).pin.ls({ type: 'recursive' })) out.push(p.cid.toV1().toString());
  return out;
}

beforeAll(async () => {
  d1 = await startDaemon();
  d2 = await startDaemon();
  await c.fromWorld();
  // The grant's key delivery carries alice's type key, which grey needs to name her lab slot
  // (CONTRACT.md § Privacy): it is published where grey's record adds read, both nodes.
  await ok([
    ...as('alice'),
    '--ipfs-api',
    d1.apiUrl,
    '--ipfs-api',
    d2.apiUrl,
    'grant',
    'grey',
    '--types',
    'lab',
    '--write',
    '--expires',
    '30d',
  ]);
}, 600_000);

afterAll(async () => {
  await c.devnetDown();
  await d1?.stop();
  await d2?.stop();
  rmSync(c.home, { recursive: true, force: true });
}, 120_000);

describe('replication before registration (STORAGE.md § Replicas: pinned on N nodes MUST precede registration)', () => {
  it('two --ipfs-api: the record is pinned on both before it is registered; data.records[].pinnedOn names them', async () => {
    const f = join(c.home, 'a.bin');
    writeFileSync(f, randomBytes(1_500_000));
    const rec = (
      await ok([
        ...as('grey'),
        '--ipfs-api',
        d1!.apiUrl,
        '--ipfs-api',
        d2!.apiUrl,
        'record',
        'add',
        f,
        '--patient',
        'alice',
        '--type',
        'lab',
      ])
    ).records[0];
    expect(rec.pinnedOn).toEqual([d1!.apiUrl, d2!.apiUrl]);
    expect(await pins(d1!)).toContain(rec.cid);
    expect(await pins(d2!)).toContain(rec.cid);
    // Readable from the second node alone.
    const got = await ok([...as('alice'), '--ipfs-api', d2!.apiUrl, 'fetch', rec.id, '-o', join(c.home, 'a.out'), '--no-receipt']);
    expect(got.signatureValid).toBe(true);
  });

  it('a node down: not enough replicas → exit 6 and nothing registered; with --replicas 1 the retry works', async () => {
    const before = (await ok([...as('alice'), 'record', 'list'])).records.length;
    await d2!.stop();
    const f = join(c.home, 'b.bin');
    writeFileSync(f, randomBytes(300_000));
    const r = await emr([
      ...as('grey'),
      '--json',
      '--ipfs-api',
      d1!.apiUrl,
      '--ipfs-api',
      d2!.apiUrl,
      'record',
      'add',
      f,
      '--patient',
      'alice',
      '--type',
      'lab',
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json!.error!.code).toBe('UNAVAILABLE');
    expect((await ok([...as('alice'), 'record', 'list'])).records.length).toBe(before);
    const rec = (
      await ok([
        ...as('grey'),
        '--ipfs-api',
        d1!.apiUrl,
        '--ipfs-api',
        d2!.apiUrl,
        '--replicas',
        '1',
        'record',
        'add',
        f,
        '--patient',
        'alice',
        '--type',
        'lab',
      ])
    ).records[0];
    expect(rec.pinnedOn).toEqual([d1!.apiUrl]);
    expect((await ok([...as('alice'), 'record', 'list'])).records.length).toBe(before + 1);
  });

  it('--replicas that is not a positive integer is a usage error (exit 2)', async () => {
    const r = await emr([...as('grey'), '--json', '--replicas', 'zero', 'record', 'list']);
    expect(r.code).toBe(2);
  });
});
