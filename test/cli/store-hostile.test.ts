// Red team (issue 8's attacker, wave 3's store surface): a hostile client of `emr store
// serve` and a hostile CAR given to `emr store import`. Through the built binary and a real
// gateway process; the store is the real embedded one (docs/STORAGE.md § Serving a store,
// § CAR files). No chain is needed.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CarWriter } from '@ipld/car/writer';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkDag } from '../../src/ipfs/car.js';
import { openEmbeddedStore } from '../../src/ipfs/embedded.js';
import { emr, tempHome } from '../helpers/cli.js';
import { runStoppedAt } from '../helpers/failpoints.js';
import { type ServingSite, serveSite } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';

const t = tempHome();
let big: string;
let site: ServingSite;

beforeAll(async () => {
  // A 24 MiB record: more than loopback's socket buffers hold, so a CAR of it cannot be
  // handed to the kernel whole and the server must wait on its reader.
  const store = await openEmbeddedStore({ dir: join(t.home, 'ipfs') });
  try {
    big = (await store.addBytes(randomBytes(24 << 20))).cid;
  } finally {
    await store.close();
  }
  site = await serveSite(['--home', t.home]);
}, 60_000);

afterAll(async () => {
  await site?.stop();
  rmSync(t.home, { recursive: true, force: true });
});

/** Sockets the gateway process holds open (its listening socket, its connections). */
function socketsOf(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

/** Opens a raw connection, sends `request`, and never reads the answer. */
function stalledClient(url: string, request: string): Promise<{ sock: Socket }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () => {
      sock.on('error', () => {}); // the server may cut a hostile client off mid-write
      sock.write(request);
      sock.pause(); // never read: the server's writes stall once the socket buffers fill
      resolve({ sock });
    });
    sock.once('error', reject);
  });
}

describe('store serve against hostile clients (docs/STORAGE.md § Serving a store)', () => {
  it('a client that stops reading a CAR answer MUST lose its connection (a slot of the 64) after the send-stall bound', async () => {
    // The suite's 2 s bound (EMR_TEST_STALL_MS, STORAGE.md § Serving a store), not 20 s: a
    // gateway of its own, so the other tests meet the real bound.
    const site = await serveSite(['--home', t.home], { EMR_TEST_STALL_MS: '2000' });
    const before = socketsOf(site.pid);
    const c = await stalledClient(site.url, `GET /ipfs/${big}?format=car HTTP/1.1\r\nHost: gw\r\n\r\n`);
    try {
      await waitFor(() => socketsOf(site.pid) > before, { what: 'the gateway to take the connection' });
      // Before: the answer waited for the reader forever, holding the connection (one of
      // the 64 the gateway accepts: 64 such clients shut it for everyone). A paused client
      // cannot see the close itself, so the gateway's own sockets are counted.
      await waitFor(() => socketsOf(site.pid) <= before, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'the gateway to drop a client that reads nothing',
      });
    } finally {
      c.sock.destroy();
    }
    // The gateway still answers others.
    const r = await fetch(`${site.url}/ipfs/${big}?format=raw&dag-scope=block`, { headers: { accept: 'application/vnd.ipld.raw' } });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    expect(await site.stop()).toBe(0);
  }, 90_000);

  it('EMR_TEST_STALL_MS MUST be refused outside the test suite (EMR_TEST=1) and out of range: exit 2, nothing served', async () => {
    const stray = await emr(['--home', t.home, 'store', 'serve', '--listen', '127.0.0.1:0'], {
      env: { EMR_TEST: undefined, EMR_TEST_STALL_MS: '2000' },
    });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/EMR_TEST_STALL_MS is test-only and needs EMR_TEST=1/);
    for (const v of ['50', '20001', '2e3', '-1']) {
      const r = await emr(['--home', t.home, 'store', 'serve', '--listen', '127.0.0.1:0'], { env: { EMR_TEST_STALL_MS: v } });
      expect(r.code, v).toBe(2);
    }
  });
});

/** One GET on a connection of its own (no keep-alive pool): its status, or the error. */
function getOnce(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, headers: { accept: 'application/vnd.ipld.raw' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', (e) => resolve(e.message));
    });
    req.on('error', (e) => resolve(e.message));
  });
}

describe('store serve against a slowloris (issue 20 § 4; STORAGE.md § Serving a store, "Slow clients")', () => {
  it('a legitimate client MUST keep getting answers while slow clients drip header lines on every connection they can open', async () => {
    const u = new URL(site.url);
    const before = socketsOf(site.pid);
    const held = new Set<Socket>();
    let attempts = 0;
    let stopped = false;
    // Ten attacking addresses (127.0.0.2–11), 100 connections at once, each reopened when
    // the gateway drops it (at most 1,000 attempts in all): more than the 64 the gateway takes.
    const open = (i: number): void => {
      if (stopped || ++attempts > 1000) return;
      const s = connect({ host: u.hostname, port: Number(u.port), localAddress: `127.0.0.${2 + (i % 10)}` });
      held.add(s);
      s.on('error', () => {});
      s.on('connect', () => s.write(`GET /ipfs/${big}?format=raw HTTP/1.1\r\nHost: gw\r\n`));
      s.on('close', () => {
        held.delete(s);
        setImmediate(() => open(i));
      });
    };
    for (let i = 0; i < 100; i++) open(i);
    // A header line per second and connection: never done, never silent for long.
    const drip = setInterval(() => {
      for (const s of held) if (s.writable) s.write('X-Drip: 1\r\n');
    }, 1000);
    try {
      await waitFor(() => socketsOf(site.pid) - before >= 60, { what: 'the slow clients to hold most of the gateway' });
      // Before: Node refused every connection past 64, the legitimate client's included,
      // for as long as the drip lasted.
      const statuses: Array<number | string> = [];
      for (let k = 0; k < 10; k++) statuses.push(await getOnce(`${site.url}/ipfs/${big}?format=raw`));
      expect(statuses).toEqual(Array(10).fill(200));
    } finally {
      stopped = true;
      clearInterval(drip);
      for (const s of held) s.destroy();
    }
  }, 90_000);
});

/** Unsigned LEB128, as CAR section lengths are written. */
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A CARv1 header naming `root`, and no blocks. */
async function carHeader(root: CID): Promise<Buffer> {
  const { writer, out } = CarWriter.create([root]);
  const chunks: Uint8Array[] = [];
  const read = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  await writer.close();
  await read;
  return Buffer.concat(chunks);
}

/** Peak RSS of an emr run, reported by the child itself at exit (kilobytes). */
const RSS_PROBE = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss='+process.resourceUsage().maxRSS+'\\n'))`;

/** The gateway process's resident memory, in MiB (/proc/<pid>/status VmRSS). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/**
 * The gateway's peak RSS (MiB) from now on: the kernel's high-water mark (VmHWM), reset
 * first (`5` > /proc/<pid>/clear_refs), so no growth between two samples can hide.
 */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
function peakMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** CPU ticks spent so far (utime + stime) and the scheduler state letter of `pid`. */
function cpuOf(pid: number): { ticks: number; state: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(f[11]) + Number(f[12]), state: f[0]! };
}

/**
 * Resolves once the gateway has gone idle: asleep and no CPU tick spent over 5 polls in a
 * row. The event "it did all it is going to do with what it was sent", not a time window.
 */
async function idle(pid: number, what: string): Promise<void> {
  let last = -1;
  let still = 0;
  await waitFor(
    () => {
      const { ticks, state } = cpuOf(pid);
      still = ticks === last && state === 'S' ? still + 1 : 0;
      last = ticks;
      return still >= 5;
    },
    { timeoutMs: 60_000, intervalMs: 100, what },
  );
}

describe('store serve against pipelining clients (docs/STORAGE.md § Serving a store)', () => {
  it('answers pipelined behind one that is not read MUST do no work until their turn (memory stays flat)', async () => {
    const base = rssMiB(site.pid);
    resetPeak(site.pid);
    const burst = Array.from({ length: 300 }, () => `GET /ipfs/${big}?format=car HTTP/1.1\r\nHost: gw\r\n\r\n`).join('');
    const c = await stalledClient(site.url, burst); // ~25 KB of requests on one connection, never read
    try {
      // It starts on the first answer (the CPU moves), then stalls on the unread socket.
      const start = cpuOf(site.pid).ticks;
      await waitFor(() => cpuOf(site.pid).ticks > start, { what: 'the gateway to start answering' });
      await idle(site.pid, 'the gateway to stall on the unread answer');
    } finally {
      c.sock.destroy();
    }
    // Before: each queued answer walked the DAG into its own buffers (~750 MB within
    // seconds for 300 requests).
    expect(peakMiB(site.pid) - base).toBeLessThan(150);
  }, 60_000);

  it('a connection with more than 16 requests in flight MUST be cut (100,000 pipelined requests: memory stays flat)', async () => {
    const base = rssMiB(site.pid);
    resetPeak(site.pid);
    const burst = `GET /ipfs/${big}?format=car HTTP/1.1\r\nHost: gw\r\n\r\n`.repeat(100_000); // ~10 MB
    const c = await stalledClient(site.url, burst);
    try {
      // The event: the gateway cuts the connection, so the rest of the client's 10 MB
      // cannot be written and its socket is destroyed (the client never reads).
      await waitFor(() => c.sock.destroyed, { timeoutMs: 60_000, intervalMs: 100, what: 'the gateway to cut the connection' });
    } finally {
      c.sock.destroy();
    }
    // Before: every queued request kept its request, answer and listeners (+700 MB).
    expect(peakMiB(site.pid) - base).toBeLessThan(150);
  }, 60_000);
});

describe('store serve against hostile range and scope parameters (issue 20 § 15; STORAGE.md § Serving a store, "Conformance")', () => {
  it('malformed or extreme entity-bytes and dag-scope values MUST get 400 or a CAR bounded by the range, and the gateway keeps answering', async () => {
    const car = (q: string) =>
      new Promise<{ status: number | string; bytes: number }>((resolve) => {
        const req = get(`${site.url}/ipfs/${big}?format=car&${q}`, { agent: false }, (res) => {
          let bytes = 0;
          res.on('data', (d: Buffer) => (bytes += d.length));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
          res.on('error', (e) => resolve({ status: e.message, bytes }));
        });
        req.on('error', (e) => resolve({ status: e.message, bytes: 0 }));
      });
    for (const q of [
      'entity-bytes=',
      'entity-bytes=:',
      'entity-bytes=1:',
      'entity-bytes=NaN:1',
      'entity-bytes=1e3:*',
      'entity-bytes=0x10:*',
      `entity-bytes=${2 ** 53}:*`,
      'entity-bytes=999999999999999:*',
      'entity-bytes=-:*',
      'dag-scope=',
      'dag-scope=ALL',
      `dag-scope=${'x'.repeat(300)}`,
    ]) {
      expect((await car(q)).status, q).toBe(400);
    }
    // Extremes that resolve inside the file: the whole file, one leaf, the root alone.
    const whole = await car('entity-bytes=-999999999999999:*');
    expect(whole.status).toBe(200);
    expect(whole.bytes).toBeGreaterThan(24 << 20);
    const first = await car('entity-bytes=0:0');
    expect(first.status).toBe(200);
    expect(first.bytes).toBeGreaterThan(1 << 20);
    expect(first.bytes).toBeLessThan((1 << 20) + (64 << 10));
    const none = await car('entity-bytes=0:-999999999999999');
    expect(none.status).toBe(200);
    expect(none.bytes).toBeLessThan(64 << 10);
    expect(await getOnce(`${site.url}/ipfs/${big}?format=raw`)).toBe(200);
  });
});

describe('store import of hostile CARs (docs/STORAGE.md § CAR files)', () => {
  it('a CAR section that declares more than a block may hold MUST be refused (exit 4) before it is read into memory', async () => {
    const root = CID.parse(big);
    const file = join(t.home, 'huge-section.car');
    const declared = 256 << 20;
    const head = Buffer.concat([await carHeader(root), varint(root.bytes.length + declared), Buffer.from(root.bytes)]);
    const fd = openSync(file, 'w');
    writeSync(fd, head);
    closeSync(fd);
    truncateSync(file, head.length + declared); // sparse: 256 MiB of zeros that cost no disk
    const r = await emr(['--home', t.home, '--json', 'store', 'import', file], { env: { NODE_OPTIONS: `--import=${RSS_PROBE}` } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.json!.error!.message).toMatch(/block|section/);
    // Before: the reader buffered the whole declared section (RSS > 256 MiB) and only then
    // compared its size; a hostile "backup" could take all the memory there is.
    const rss = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]);
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(200 * 1024);
  }, 60_000);

  it('a CAR whose header names a root emr does not store (not sha2-256 raw/dag-pb) MUST be refused (exit 4) before a block is stored or a root pinned', async () => {
    // A complete, valid record DAG (root + its one block) and, beside it, a dag-cbor root.
    const leaf = Buffer.from(`a record ${Math.random()}`);
    const good = CID.createV1(0x55, await sha256.digest(leaf));
    const alien = CID.createV1(0x71, good.multihash);
    const { writer, out } = CarWriter.create([good, alien]);
    const chunks: Uint8Array[] = [];
    const read = (async () => {
      for await (const c of out) chunks.push(c);
    })();
    await writer.put({ cid: good, bytes: leaf });
    await writer.close();
    await read;
    const file = join(t.home, 'alien-root.car');
    writeFileSync(file, Buffer.concat(chunks));
    const r = await emr(['--home', t.home, '--json', 'store', 'import', file]);
    // Before: the good root was pinned, then the alien one failed the run (exit 2): a
    // failed import had pinned something.
    expect(r.code, r.stderr).toBe(4);
    expect(r.json!.error!.message).toMatch(/root/);
    const store = await openEmbeddedStore({ dir: join(t.home, 'ipfs') });
    try {
      expect(await store.pins()).not.toContain(good.toString());
      expect(await store.hasBlock(good)).toBe(false);
    } finally {
      await store.close();
    }
  }, 60_000);
});

/** Writes a CARv1 of `blocks` (in order) naming `roots`; returns its path. */
async function writeCar(name: string, roots: CID[], blocks: Array<{ cid: CID; bytes: Uint8Array }>): Promise<string> {
  const { writer, out } = CarWriter.create(roots);
  const chunks: Uint8Array[] = [];
  const read = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  for (const b of blocks) await writer.put(b);
  await writer.close();
  await read;
  const file = join(t.home, name);
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

/** Block files in the home's embedded store. */
function blockFiles(): number {
  return readdirSync(join(t.home, 'ipfs', 'blocks'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
}

/** A record's blocks as emr's own import makes them (in a scratch store), root first. */
async function recordBlocks(size: number): Promise<{ root: CID; blocks: Array<{ cid: CID; bytes: Uint8Array }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'emr-rec-'));
  const s = await openEmbeddedStore({ dir });
  try {
    const root = CID.parse((await s.addBytes(randomBytes(size))).cid);
    const blocks: Array<{ cid: CID; bytes: Uint8Array }> = [];
    for await (const b of walkDag(root, (c) => s.getBlock(c))) blocks.push({ cid: b.cid, bytes: Buffer.from(b.bytes) });
    return { root, blocks };
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('store import and gc (issue 20 § 9; STORAGE.md § CAR files, § Unpin, garbage collection and erasure)', () => {
  it('a block-flood CAR (a root declaring 64 GiB, then 5,000 tiny blocks) MUST be refused (exit 4) and leave no block behind', async () => {
    const leaves: Array<{ cid: CID; bytes: Uint8Array }> = [];
    for (let i = 0; i < 5000; i++) {
      const bytes = randomBytes(8);
      leaves.push({ cid: CID.createV1(0x55, await sha256.digest(bytes)), bytes });
    }
    const rootBytes = dagPb.encode(
      dagPb.prepare({ Data: new UnixFS({ type: 'file', blockSizes: [64n * 1024n ** 3n] }).marshal(), Links: [{ Hash: leaves[0]!.cid }] }),
    );
    const root = CID.createV1(0x70, await sha256.digest(rootBytes));
    const file = await writeCar('flood.car', [root], [{ cid: root, bytes: rootBytes }, ...leaves]);
    const before = blockFiles();
    const r = await emr(['--home', t.home, '--json', 'store', 'import', file]);
    // Before: exit 0, the root "incomplete", and 5,001 new block files kept.
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.json!.error!.message).toMatch(/short leaves|more blocks/);
    expect(blockFiles()).toBe(before);
  }, 120_000);

  it('a CAR whose last block is bad MUST leave nothing: exit 4, none of its blocks stored, nothing pinned', async () => {
    const { root, blocks } = await recordBlocks(3 * 1024 * 1024 + 5);
    const last = blocks.at(-1)!;
    const spoiled = Buffer.from(last.bytes);
    spoiled[0]! ^= 1;
    const file = await writeCar('bad-last.car', [root], [...blocks.slice(0, -1), { cid: last.cid, bytes: spoiled }]);
    const before = blockFiles();
    const r = await emr(['--home', t.home, '--json', 'store', 'import', file]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    // Before: the blocks ahead of the bad one stayed in the store, unpinned, for ever.
    expect(blockFiles()).toBe(before);
    const store = await openEmbeddedStore({ dir: join(t.home, 'ipfs') });
    try {
      expect(await store.pins()).not.toContain(root.toString());
      for (const b of blocks) expect(await store.hasBlock(b.cid)).toBe(false);
    } finally {
      await store.close();
    }
  }, 60_000);

  let stray: CID;
  it('store serve MUST NOT serve a block that no pin reaches (404), and still serves pinned ones', async () => {
    const bytes = randomBytes(100);
    stray = CID.createV1(0x55, await sha256.digest(bytes));
    const store = await openEmbeddedStore({ dir: join(t.home, 'ipfs') });
    try {
      await store.putBlock(stray, bytes);
    } finally {
      await store.close();
    }
    // Before: every block the store held was served, pinned or not.
    expect(await getOnce(`${site.url}/ipfs/${stray}?format=raw`)).toBe(404);
    expect(await getOnce(`${site.url}/ipfs/${big}?format=raw`)).toBe(200);
  });

  it('`store gc` MUST refuse (exit 6) while an import is in flight and remove nothing of it; afterwards it removes only unpinned blocks', async () => {
    const { root, blocks } = await recordBlocks(2 * 1024 * 1024 + 9);
    const file = await writeCar('good.car', [root], blocks);
    let during: Awaited<ReturnType<typeof emr>> | undefined;
    const run = await runStoppedAt(['--home', t.home, 'store', 'import', file], 'store-import.before-pin', async () => {
      during = await emr(['--home', t.home, '--json', 'store', 'gc']);
    });
    expect(run.stopped).toBe(true);
    expect(during!.code, during!.stdout + during!.stderr).toBe(6);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json.data.pinned).toEqual([root.toString()]);
    const gc = await emr(['--home', t.home, '--json', 'store', 'gc']);
    expect(gc.code, gc.stdout + gc.stderr).toBe(0);
    expect(gc.json!.data.removed).toBeGreaterThanOrEqual(1);
    const store = await openEmbeddedStore({ dir: join(t.home, 'ipfs') });
    try {
      expect(await store.hasBlock(stray)).toBe(false);
      for (const b of blocks) expect(await store.hasBlock(b.cid)).toBe(true);
      expect(await store.hasBlock(CID.parse(big))).toBe(true);
    } finally {
      await store.close();
    }
  }, 120_000);
});
