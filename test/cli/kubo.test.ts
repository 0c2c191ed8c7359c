// Issue 4 § 6: the record flow through the built binary against the Kubo backend
// (docs/CLI.md: `--ipfs-api` on every command), on a devnet in a temp home, with a real Kubo
// RPC daemon (test/ipfs/daemon.ts). STORAGE.md: both backends build the DAG with the same
// fixed settings, so one ciphertext has one CID everywhere.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'kubo-rpc-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/ipfs/store.js';
import { emr, tempHome } from '../helpers/cli.js';
import { startDaemon, type TestDaemon } from '../ipfs/daemon.js';

const t = tempHome();
const pw: Record<string, string> = {};
let daemon: TestDaemon | undefined;
let api = '';
// Every command names the Kubo API, as a user of a shared node would.
const as = (who: string) => ['--home', t.home, '--profile', who, '--password-file', pw[who]!, '--ipfs-api', api];
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function ok(args: string[]) {
  const r = await emr([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
  return r.json!.data;
}

/** Files under a directory, recursively (the embedded store keeps one file per block). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  const started = startDaemon();
  started.catch(() => {}); // awaited below; keeps an early failure from going unhandled
  for (const [name, role] of [
    ['admin', 'admin'],
    ['alice', 'patient'],
    ['grey', 'provider'],
  ] as const) {
    pw[name] = t.pw(name);
    await ok(['--home', t.home, '--password-file', pw[name]!, 'keygen', '--name', name, '--role', role]);
  }
  daemon = await started;
  api = daemon.apiUrl;
  await ok([...as('admin'), 'devnet', 'up']);
  await ok([...as('alice'), 'register']);
  await ok([...as('grey'), 'register', '--role', 'provider']);
  await ok([...as('admin'), 'admin', 'verify', 'grey']);
  await ok([...as('alice'), 'grant', 'grey', '--types', 'lab', '--write', '--expires', '30d']);
}, 120_000);

afterAll(async () => {
  await emr(['--home', t.home, 'devnet', 'down']);
  await daemon?.stop();
  rmSync(t.home, { recursive: true, force: true });
}, 60_000);

describe('record flow on the Kubo backend (--ipfs-api)', () => {
  // Over one 1 MiB chunk, so the root is a dag-pb node with raw leaves, not a single block.
  const content = randomBytes(2 * 1024 * 1024 + 12_345);
  let rec: { id: string; cid: string };

  it('the provider adds a record: pinned on the daemon, nothing in the embedded store', async () => {
    const f = join(t.home, 'lab.bin');
    writeFileSync(f, content);
    rec = (await ok([...as('grey'), 'record', 'add', f, '--patient', 'alice', '--type', 'lab', '--title', 'CBC'])).records[0];
    expect(rec.cid).toMatch(/^b/); // CIDv1, base32
    const listed = (await ok([...as('alice'), 'record', 'list'])).records;
    expect(listed.map((r: { id: string; cid: string }) => [r.id, r.cid])).toContainEqual([rec.id, rec.cid]);
    const client = create({ url: api });
    const pins: string[] = [];
    for await (const p of client.pin.ls({ type: 'recursive' })) pins.push(p.cid.toV1().toString());
    expect(pins).toContain(rec.cid);
    expect(filesUnder(join(t.home, 'ipfs', 'blocks'))).toHaveLength(0);
  });

  it('the patient fetches it through the daemon: same bytes, signature valid', async () => {
    const out = join(t.home, 'alice-lab.bin');
    const got = await ok([...as('alice'), 'fetch', rec.id, '-o', out]);
    expect(got.signatureValid).toBe(true);
    expect(got.author).toBe((await ok(['--home', t.home, 'whois', 'grey'])).address);
    const bytes = readFileSync(out);
    expect(bytes.equals(content)).toBe(true);
    expect(got.sha256).toBe(sha256(content));
  });

  it("the same ciphertext gives the same CID in another home's embedded store as on chain", async () => {
    const raw = join(t.home, 'lab.age');
    await ok([...as('alice'), 'fetch', rec.id, '--raw', '-o', raw, '--no-receipt']);
    const cipher = readFileSync(raw);
    expect(cipher.subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n');
    const other = await mkdtemp(join(tmpdir(), 'emr-kubo-other-'));
    const store = await openStore({ home: other });
    try {
      const added = await store.add(raw);
      expect(added.size).toBe(cipher.length);
      expect(added.cid).toBe(rec.cid);
      // ... and that store serves the same bytes back.
      const parts: Uint8Array[] = [];
      for await (const p of store.cat(added.cid)) parts.push(p);
      expect(sha256(Buffer.concat(parts))).toBe(sha256(cipher));
    } finally {
      await store.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a stopped daemon → record add exits 6 (UNAVAILABLE) and nothing is registered', async () => {
    const before = (await ok([...as('alice'), 'record', 'list'])).records.length;
    await daemon!.stop();
    const f = join(t.home, 'lab2.txt');
    writeFileSync(f, 'after the daemon stopped');
    const r = await emr([...as('grey'), '--json', 'record', 'add', f, '--patient', 'alice', '--type', 'lab']);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json?.error?.hint).toBeTruthy();
    // The chain is read without the store: same list as before.
    expect((await ok([...as('alice'), 'record', 'list'])).records.length).toBe(before);
    expect(filesUnder(join(t.home, 'ipfs', 'blocks'))).toHaveLength(0);
    // Nothing was stored, so there is no half-done add waiting for a retry either.
    expect(filesUnder(join(t.home, 'pending'))).toHaveLength(0);
  });
});
