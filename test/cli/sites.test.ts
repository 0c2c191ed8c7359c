// Issue 13 § 1 and § 2 (docs/STORAGE.md § "Gateways", § "Serving a store"): two sites
// with no shared files. Hospital A adds a record into its own embedded store and serves
// it with `emr store serve`; hospital B (another EMR_HOME, same chain) fetches it through
// `--ipfs-gateway` with the same CID and a valid signature. Hostile gateways (a local
// server in this file standing in for an attacker) that lie, truncate or stall give
// exit 4 / 6 and write nothing.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CarReader } from '@ipld/car/reader';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr, ROOT, tempHome } from '../helpers/cli.js';
import { type ServingSite, serveSite } from '../helpers/serve.js';
import { twoSites } from '../helpers/two-sites.js';

const sites = twoSites();
const { A, B, asA, asB, ok } = sites;
let chain: string[] = [];
let alice = '';
let hb = '';
let site: ServingSite | undefined;
let attacker: Server | undefined;
let attackerUrl = '';
/** What the attacking gateway does to the next answers. */
let mode: 'wrong' | 'truncate' | 'stall' | 'whole-wrong' = 'wrong';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const content = randomBytes(2 * 1024 * 1024 + 777); // over one chunk: a dag-pb root with raw leaves
let rec: { id: string; cid: string };
let aliceMnemonic = '';

beforeAll(async () => {
  // Hospital A is the shared clinic (test/helpers/two-sites.ts); alice's recovery phrase is
  // the one her keystore holds, for the disaster drill below.
  ({ chain, alice, hb } = await sites.setUp({ verifyHb: true }));
  const phrase = join(A.home, 'alice.phrase');
  await ok([...asA('alice'), 'key', 'export', 'alice', '--format', 'mnemonic', '-o', phrase]);
  aliceMnemonic = readFileSync(phrase, 'utf8').trim();
  rmSync(phrase);
  expect(aliceMnemonic.split(/\s+/)).toHaveLength(24);
  const f = join(A.home, 'lab.bin');
  writeFileSync(f, content);
  rec = (await ok([...asA('grey'), 'record', 'add', f, '--patient', 'alice', '--type', 'lab', '--title', 'CBC'])).records[0];
  site = await serveSite(['--home', A.home]);

  // The attacker: relays hospital A's gateway and spoils what it relays.
  attacker = createServer(async (req, res) => {
    const up = await fetch(new URL(req.url!, site!.url), { headers: { accept: req.headers.accept ?? '' } });
    const body = Buffer.from(await up.arrayBuffer());
    if (up.status !== 200) return void res.writeHead(up.status).end();
    const isRoot = req.url!.includes(rec.cid);
    if (mode === 'whole-wrong') {
      // A whole-file gateway that sends a file of the right length but wrong bytes.
      const fake = Buffer.from(content);
      fake.writeUInt8(fake.at(-1)! ^ 1, fake.length - 1);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(fake.length) });
      return void res.end(fake);
    }
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' });
    if (isRoot) return void res.end(body); // the root is honest, so the walk reaches the leaves
    if (mode === 'wrong') {
      body.writeUInt8(body.at(body.length >> 1)! ^ 0xff, body.length >> 1);
      return void res.end(body);
    }
    if (mode === 'truncate') return void res.end(body.subarray(0, body.length >> 1));
    res.write(body.subarray(0, 1000)); // stall: half an answer, then silence
  });
  await new Promise<void>((r) => attacker!.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  await site?.stop();
  attacker?.closeAllConnections();
  await new Promise((r) => attacker?.close(r));
  await sites.down();
  rmSync(A.home, { recursive: true, force: true });
  rmSync(B.home, { recursive: true, force: true });
}, 120_000);

/** Nothing of the record may be left in B's home after a failed fetch. */
function strayFiles(): string[] {
  const tmp = join(B.home, 'tmp');
  return existsSync(tmp) ? readdirSync(tmp) : [];
}

describe('two sites, no shared disk (STORAGE.md § Gateways, § Serving a store: every block MUST match its CID)', () => {
  it('hospital B cannot fetch from its own empty store (exit 7)', async () => {
    const r = await emr([...asB('hb'), ...chain, '--json', 'fetch', rec.id, '-o', join(B.home, 'none.bin')]);
    expect(r.code, r.stderr + r.stdout).toBe(7);
    expect(existsSync(join(B.home, 'none.bin'))).toBe(false);
  });

  it('hospital B fetches through A’s gateway: same CID, same bytes, signature valid', async () => {
    const out = join(B.home, 'lab.bin');
    const got = await ok([...asB('hb'), ...chain, '--ipfs-gateway', site!.url, 'fetch', rec.id, '-o', out]);
    expect(got.signatureValid).toBe(true);
    expect(got.sha256).toBe(sha256(content));
    expect(readFileSync(out).equals(content)).toBe(true);
    // B's own store was not used: nothing was written into it.
    const blocks = join(B.home, 'ipfs', 'blocks');
    expect(existsSync(blocks) ? readdirSync(blocks, { recursive: true }).filter((n) => String(n).endsWith('.data')) : []).toHaveLength(0);
  });

  it('EMR_IPFS_GATEWAY (comma-separated) tries gateways in order: a dead one first, then A', async () => {
    const out = join(B.home, 'lab-env.bin');
    const r = await emr([...asB('hb'), ...chain, '--json', 'fetch', rec.id, '-o', out], {
      env: { EMR_IPFS_GATEWAY: `http://127.0.0.1:9, ${site!.url}` },
    });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(out).equals(content)).toBe(true);
  });

  it('the gateway speaks the spec: raw block by Accept, CAR by ?format=car, 406 otherwise, read-only', async () => {
    const root = CID.parse(rec.cid);
    const raw = await fetch(`${site!.url}/ipfs/${rec.cid}`, { headers: { accept: 'application/vnd.ipld.raw' } });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('application/vnd.ipld.raw');
    expect(
      createHash('sha256')
        .update(Buffer.from(await raw.arrayBuffer()))
        .digest()
        .equals(root.multihash.digest),
    ).toBe(true);

    const car = await fetch(`${site!.url}/ipfs/${rec.cid}?format=car`);
    expect(car.status).toBe(200);
    expect(car.headers.get('content-type')).toMatch(/^application\/vnd\.ipld\.car; version=1/);
    const reader = await CarReader.fromBytes(new Uint8Array(await car.arrayBuffer()));
    expect((await reader.getRoots()).map(String)).toEqual([rec.cid]);
    let leafBytes = 0;
    let count = 0;
    for await (const { cid, bytes } of reader.blocks()) {
      count++;
      expect(createHash('sha256').update(bytes).digest().equals(Buffer.from(cid.multihash.digest))).toBe(true);
      if (cid.code === 0x55) leafBytes += bytes.length;
    }
    // The whole DAG: the root and one raw leaf per MiB of ciphertext (a little over the plaintext).
    expect(leafBytes).toBeGreaterThan(content.length);
    expect(count).toBe(1 + Math.ceil(leafBytes / 1_048_576));

    // fetch() sends `Accept: */*`: a type this gateway does not serve (no Accept at all is
    // 400, test/cli/serve-conformance.test.ts).
    expect((await fetch(`${site!.url}/ipfs/${rec.cid}`)).status).toBe(406);
    expect((await fetch(`${site!.url}/ipfs/${rec.cid}?format=raw`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${site!.url}/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?format=raw`)).status).toBe(404);
    expect((await fetch(`${site!.url}/ipfs/${rec.cid}/etc/passwd?format=raw`)).status).toBe(404);
  });

  it('a third-party client, the IPFS project’s @helia/verified-fetch, gets from `store serve` the very bytes emr stored', async () => {
    // The ciphertext as stored (CID unchanged): hospital A's own `fetch --raw`.
    const stored = join(A.home, 'stored.age');
    await ok([...asA('grey'), 'fetch', rec.id, '--raw', '-o', stored]);
    const dir = join(ROOT, 'test', 'verified-fetch');
    const r = spawnSync(process.execPath, ['--import', './with-resolvers.mjs', 'fetch-cid.mjs', site!.url, rec.cid], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 90_000,
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(readFileSync(stored)));
  });

  it('a gateway that sends wrong bytes for a block: exit 4, nothing written', async () => {
    mode = 'wrong';
    const out = join(B.home, 'bad.bin');
    const r = await emr([...asB('hb'), ...chain, '--json', '--ipfs-gateway', attackerUrl, 'fetch', rec.id, '-o', out]);
    expect(r.code, r.stderr + r.stdout).toBe(4);
    expect(r.json!.error!.code).toBe('INTEGRITY');
    expect(existsSync(out)).toBe(false);
    expect(strayFiles()).toEqual([]);
  });

  it('a gateway that truncates a block: exit 4, nothing written', async () => {
    mode = 'truncate';
    const out = join(B.home, 'short.bin');
    const r = await emr([...asB('hb'), ...chain, '--json', '--ipfs-gateway', attackerUrl, 'fetch', rec.id, '-o', out]);
    expect(r.code, r.stderr + r.stdout).toBe(4);
    expect(existsSync(out)).toBe(false);
    expect(strayFiles()).toEqual([]);
  });

  it('a gateway that stalls mid-block: exit 6 after EMR_IPFS_TIMEOUT, nothing written', async () => {
    mode = 'stall';
    const out = join(B.home, 'stall.bin');
    const r = await emr([...asB('hb'), ...chain, '--json', '--ipfs-gateway', attackerUrl, 'fetch', rec.id, '-o', out], {
      env: { EMR_IPFS_TIMEOUT: '1' },
    });
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json!.error!.code).toBe('UNAVAILABLE');
    expect(existsSync(out)).toBe(false);
    expect(strayFiles()).toEqual([]);
  });

  it('a lying gateway listed first is skipped for the honest one after it', async () => {
    mode = 'wrong';
    const out = join(B.home, 'second.bin');
    const got = await ok([...asB('hb'), ...chain, '--ipfs-gateway', attackerUrl, '--ipfs-gateway', site!.url, 'fetch', rec.id, '-o', out]);
    expect(got.signatureValid).toBe(true);
    expect(readFileSync(out).equals(content)).toBe(true);
  });

  it('a whole-file gateway whose file does not re-import to the CID: exit 4, nothing written', async () => {
    mode = 'whole-wrong';
    const out = join(B.home, 'whole-bad.bin');
    const r = await emr([...asB('hb'), ...chain, '--json', '--ipfs-gateway', attackerUrl, 'fetch', rec.id, '-o', out]);
    expect(r.code, r.stderr + r.stdout).toBe(4);
    expect(existsSync(out)).toBe(false);
    expect(strayFiles()).toEqual([]);
  });

  it('a writer at B whose grant’s key delivery is only in A’s store: exit 7 naming the store, not "no write grant"', async () => {
    // The delivery carries alice's type key (CONTRACT.md § Privacy): hb names her lab slot with it.
    await ok([...asA('alice'), 'grant', hb, '--types', 'lab', '--write', '--expires', '30d']);
    const f = join(B.home, 'hb-lab.txt');
    writeFileSync(f, 'hb lab\n');
    const r = await emr([...asB('hb'), ...chain, '--json', 'record', 'add', f, '--patient', alice, '--type', 'lab']);
    expect(r.code, r.stderr + r.stdout).toBe(7);
    expect(r.json!.error!.message).toMatch(/key delivery of your grant is not in this store/);
    expect(r.json!.error!.hint).toContain('--ipfs-gateway');
    // (Adding it through A's gateway would put a record in B's store alone, which the CAR
    // export below, of every record alice may read at A, could not reach.)
  });

  it('--ipfs-gateway that is not an http URL is a usage error (exit 2)', async () => {
    const r = await emr([...asB('hb'), ...chain, '--json', '--ipfs-gateway', 'file:///etc', 'fetch', rec.id]);
    expect(r.code).toBe(2);
  });

  it('store serve stops on SIGTERM with exit 0 and printed exactly one JSON document', async () => {
    const s = await serveSite(['--home', A.home]);
    expect(await s.stop()).toBe(0);
    const lines = s.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ ok: true, data: { url: s.url } });
  });
});

describe('CAR backup and disaster recovery (STORAGE.md § CAR files: every imported block MUST match its CID; § A second device)', () => {
  const C = tempHome();
  const pwC: Record<string, string> = {};
  const asC = (who: string) => ['--home', C.home, '--profile', who, '--password-file', (pwC[who] ??= C.pw(who))];
  let car = '';
  afterAll(() => rmSync(C.home, { recursive: true, force: true }));

  it('the patient exports every record she may read as a CARv1 (format from the .car name); roots are the record CIDs', async () => {
    car = join(A.home, 'history.car');
    const d = await ok([...asA('alice'), 'record', 'export', '-o', car]);
    expect(d.format).toBe('car');
    expect(d.records).toContainEqual({ id: rec.id, cid: rec.cid });
    const reader = await CarReader.fromBytes(readFileSync(car));
    expect((await reader.getRoots()).map(String)).toContain(rec.cid);
    expect(d.sha256).toBe(sha256(readFileSync(car)));
    // Never replaced without --force.
    const again = await emr([...asA('alice'), '--json', 'record', 'export', '-o', car]);
    expect(again.code).toBe(2);
  });

  it('disaster drill: a fresh machine with only the mnemonic and the CAR restores and fetches every record', async () => {
    const phrase = join(C.home, 'phrase.txt');
    writeFileSync(phrase, aliceMnemonic + '\n', { mode: 0o600 });
    await ok([...asC('alice'), 'key', 'import', phrase, '--mnemonic', '--name', 'alice', '--role', 'patient']);
    const imp = await ok([...asC('alice'), 'store', 'import', car]);
    expect(imp.pinned).toContain(rec.cid);
    expect(imp.incomplete).toEqual([]);
    const listed = (await ok([...asC('alice'), ...chain, 'record', 'list'])).records;
    expect(listed.map((r: { id: string }) => r.id)).toContain(rec.id);
    for (const r of listed as Array<{ id: string }>) {
      const out = join(C.home, `restored-${r.id}.bin`);
      const got = await ok([...asC('alice'), ...chain, 'fetch', r.id, '-o', out, '--no-receipt']);
      expect(got.signatureValid).toBe(true);
      if (r.id === rec.id) expect(readFileSync(out).equals(content)).toBe(true);
    }
  });

  it('a second device: without settings it cannot reach the chain (exit 6); `config import` of `config export` fixes that, with no secret in the file', async () => {
    const before = await emr([...asC('alice'), '--json', 'record', 'list']);
    expect(before.code).toBe(6);
    const file = join(A.home, 'device.json');
    const exported = await ok([...asA('alice'), '--ipfs-gateway', site!.url, 'config', 'export', '-o', file]);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ v: 1, kind: 'emr-device-config', contract: exported.contract, ipfsGateways: [site!.url] });
    expect(text).not.toContain(aliceMnemonic);
    expect(Object.keys(JSON.parse(text)).sort()).toEqual(['chainId', 'contract', 'ipfsGateways', 'kind', 'rpcUrl', 'v']);
    await ok([...asC('alice'), 'config', 'import', file]);
    const listed = (await ok([...asC('alice'), 'record', 'list'])).records;
    expect(listed.map((r: { id: string }) => r.id)).toContain(rec.id);
    // A tampered file is refused: a URL with credentials is a secret.
    const bad = join(C.home, 'bad-device.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(text), rpcUrl: 'http://user:pw@127.0.0.1:1' }));
    expect((await emr([...asC('alice'), '--json', 'config', 'import', bad])).code).toBe(2);
  });

  it('a CAR with one flipped byte is refused (exit 4) and pins nothing', async () => {
    const bad = Buffer.from(readFileSync(car));
    bad.writeUInt8(bad.at(bad.length - 100)! ^ 1, bad.length - 100);
    const badCar = join(C.home, 'bad.car');
    writeFileSync(badCar, bad);
    const D = tempHome();
    const r = await emr(['--home', D.home, '--json', 'store', 'import', badCar]);
    expect(r.code, r.stderr + r.stdout).toBe(4);
    expect(existsSync(join(D.home, 'ipfs', 'pins')) ? readdirSync(join(D.home, 'ipfs', 'pins')) : []).toEqual([]);
    rmSync(D.home, { recursive: true, force: true });
  });
});
