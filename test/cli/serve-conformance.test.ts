// `emr store serve` against the IPFS Trustless Gateway spec (docs/STORAGE.md § Serving a
// store; issue 20 § 15), with raw HTTP requests to the running binary: the bafkqaaa probe,
// 400 without Accept or ?format, entity-bytes (only the blocks the range needs, its own
// ETag), an ETag per dag-scope, 412 for only-if-cached, Content-Location for Accept. The
// CARs are read with @ipld/car and the range is checked against the original bytes.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { CarReader } from '@ipld/car/reader';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/ipfs/embedded.js';
import { tempHome } from '../helpers/cli.js';
import { type ServingSite, serveSite } from '../helpers/serve.js';

const t = tempHome();
const MiB = 1_048_576;
// Four 1 MiB raw leaves and a short fifth under one dag-pb root (STORAGE.md import settings).
const content = randomBytes(4 * MiB + 1234);
let root: CID;
/** The root's leaves, in file order, with the offset where each begins. */
let leaves: Array<{ cid: string; start: number; size: number }> = [];
let unpinned: CID;
let site: ServingSite;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One raw HTTP request, with exactly the headers given (fetch() would add an Accept). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const u = new URL(path, site.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The CIDs a CAR answer holds, in order, each block checked against its CID. */
async function carBlocks(body: Buffer): Promise<{ roots: string[]; blocks: Array<{ cid: string; bytes: Uint8Array }> }> {
  const reader = await CarReader.fromBytes(new Uint8Array(body));
  const blocks: Array<{ cid: string; bytes: Uint8Array }> = [];
  for await (const b of reader.blocks()) {
    expect(Buffer.from((await sha256.digest(b.bytes)).digest).equals(Buffer.from(b.cid.multihash.digest))).toBe(true);
    blocks.push({ cid: b.cid.toString(), bytes: b.bytes });
  }
  return { roots: (await reader.getRoots()).map(String), blocks };
}

beforeAll(async () => {
  const store = await openEmbeddedStore({ dir: join(t.home, 'ipfs') });
  try {
    root = CID.parse((await store.addBytes(content)).cid);
    // A block the store holds but no pin reaches (not served: 404, or 412 with only-if-cached).
    const stray = randomBytes(64);
    unpinned = CID.createV1(0x55, await sha256.digest(stray));
    await store.putBlock(unpinned, stray);
    const node = dagPb.decode((await store.getBlock(root))!);
    const fs = UnixFS.unmarshal(node.Data!);
    let at = 0;
    leaves = node.Links.map((l, i) => {
      const size = Number(fs.blockSizes[i]);
      const leaf = { cid: l.Hash.toString(), start: at, size };
      at += size;
      return leaf;
    });
  } finally {
    await store.close();
  }
  expect(leaves.length).toBe(5);
  site = await serveSite(['--home', t.home]);
}, 60_000);

afterAll(async () => {
  await site?.stop();
  rmSync(t.home, { recursive: true, force: true });
});

describe('store serve speaks the Trustless Gateway spec (STORAGE.md § Serving a store; issue 20 § 15)', () => {
  it('MUST answer the bafkqaaa probe with 200: an empty raw block, and a CAR whose root is bafkqaaa (GET and HEAD)', async () => {
    const raw = await get('/ipfs/bafkqaaa?format=raw');
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('application/vnd.ipld.raw');
    expect(raw.body.length).toBe(0);
    expect((await get('/ipfs/bafkqaaa', { accept: 'application/vnd.ipld.raw' }, 'HEAD')).status).toBe(200);
    const car = await get('/ipfs/bafkqaaa', { accept: 'application/vnd.ipld.car' });
    expect(car.status).toBe(200);
    expect((await carBlocks(car.body)).roots).toEqual(['bafkqaaa']);
  });

  it('MUST answer 400 (not 406) to a request with neither Accept nor ?format; an Accept it cannot serve stays 406', async () => {
    const none = await get(`/ipfs/${root}`);
    expect(none.status).toBe(400);
    expect(none.body.toString()).toMatch(/application\/vnd\.ipld\.raw/);
    expect((await get('/ipfs/bafkqaaa')).status).toBe(400);
    expect((await get(`/ipfs/${root}`, { accept: 'text/html' })).status).toBe(406);
  });

  it('MUST honour entity-bytes for CAR: only the blocks that hold the range (root first), enough to rebuild it, and an ETag naming it', async () => {
    const cases: Array<{ q: string; from: number; to: number; want: number[] }> = [
      { q: `${MiB}:${MiB + 4}`, from: MiB, to: MiB + 4, want: [1] },
      { q: `${MiB - 2}:${MiB + 2}`, from: MiB - 2, to: MiB + 2, want: [0, 1] },
      { q: '-10:*', from: content.length - 10, to: content.length - 1, want: [4] },
      { q: `${3 * MiB}:-1300`, from: 3 * MiB, to: content.length - 1300, want: [3] },
      { q: '0:*', from: 0, to: content.length - 1, want: [0, 1, 2, 3, 4] },
    ];
    const etags = new Set<string>();
    for (const c of cases) {
      const r = await get(`/ipfs/${root}?format=car&entity-bytes=${c.q}`);
      expect(r.status, c.q).toBe(200);
      const { roots, blocks } = await carBlocks(r.body);
      expect(roots).toEqual([root.toString()]);
      expect(
        blocks.map((b) => b.cid),
        c.q,
      ).toEqual([root.toString(), ...c.want.map((i) => leaves[i]!.cid)]);
      // The blocks given are enough to read the range: rebuild it from them.
      const got = Buffer.concat(c.want.map((i) => Buffer.from(blocks.find((b) => b.cid === leaves[i]!.cid)!.bytes)));
      const base = leaves[c.want[0]!]!.start;
      expect(got.subarray(c.from - base, c.to - base + 1).equals(content.subarray(c.from, c.to + 1)), c.q).toBe(true);
      const etag = String(r.headers.etag);
      expect(etag).toContain(c.q);
      etags.add(etag);
    }
    expect(etags.size).toBe(cases.length);
    // A zero-length range is dag-scope=block (the root only); a range past the end is 400.
    const empty = await get(`/ipfs/${root}?format=car&entity-bytes=10:5`);
    expect((await carBlocks(empty.body)).blocks.map((b) => b.cid)).toEqual([root.toString()]);
    expect((await get(`/ipfs/${root}?format=car&entity-bytes=${content.length}:*`)).status).toBe(400);
    expect((await get(`/ipfs/${root}?format=car&entity-bytes=1:x`)).status).toBe(400);
  });

  it('MUST give each dag-scope (block, entity, all) its own ETag; an unknown dag-scope is 400', async () => {
    const tags = await Promise.all(
      ['block', 'entity', 'all'].map(async (s) => {
        const r = await get(`/ipfs/${root}?format=car&dag-scope=${s}`, {}, 'HEAD');
        expect(r.status).toBe(200);
        return String(r.headers.etag);
      }),
    );
    expect(new Set(tags).size).toBe(3);
    for (const [i, s] of ['block', 'entity', 'all'].entries()) expect(tags[i]).toContain(s);
    // The default is all, with all's ETag.
    expect((await get(`/ipfs/${root}?format=car`, {}, 'HEAD')).headers.etag).toBe(tags[2]);
    expect((await get(`/ipfs/${root}?format=car&dag-scope=everything`)).status).toBe(400);
  });

  it('MUST answer `Cache-Control: only-if-cached` for a block it does not serve with 412 and no payload (404 without it)', async () => {
    const absent = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
    for (const cid of [absent, unpinned.toString()]) {
      for (const method of ['GET', 'HEAD']) {
        const r = await get(`/ipfs/${cid}?format=raw`, { 'cache-control': 'only-if-cached' }, method);
        expect(r.status, `${method} ${cid}`).toBe(412);
        expect(r.body.length).toBe(0);
      }
      expect((await get(`/ipfs/${cid}?format=car`, { 'cache-control': 'only-if-cached' })).status).toBe(412);
      expect((await get(`/ipfs/${cid}?format=raw`)).status).toBe(404);
    }
    expect((await get(`/ipfs/${root}?format=raw`, { 'cache-control': 'only-if-cached' })).status).toBe(200);
  });

  it('MUST send Content-Location with the format when the format came from Accept, and not when ?format gave it', async () => {
    const raw = await get(`/ipfs/${root}`, { accept: 'application/vnd.ipld.raw' });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-location']).toBe(`/ipfs/${root}?format=raw`);
    const car = await get(`/ipfs/${root}?dag-scope=block`, { accept: 'application/vnd.ipld.car' }, 'HEAD');
    expect(car.headers['content-location']).toBe(`/ipfs/${root}?dag-scope=block&format=car`);
    expect((await get(`/ipfs/${root}?format=raw`)).headers['content-location']).toBeUndefined();
  });
});
