/**
 * The Kubo backend against a real Kubo RPC server (js-ipfs 0.66.1 daemon from
 * test/ipfs-daemon, or Kubo when `ipfs` is on PATH).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type KuboRPCClient } from 'kubo-rpc-client';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError, UnavailableError, UsageError } from '../../src/errors.js';
import { cidFromDigest } from '../../src/ipfs/cid.js';
import { KUBO_ADD_FLAGS } from '../../src/ipfs/settings.js';
import { openStore, type RecordStore } from '../../src/ipfs/store.js';
import { bytesOf, chunked, collect, SIZES, sameBytes } from './corpus.js';
import { startDaemon, type TestDaemon } from './daemon.js';

let daemon: TestDaemon;
let home: string;
let kubo: RecordStore;
let embedded: RecordStore;
let client: KuboRPCClient;

beforeAll(async () => {
  daemon = await startDaemon();
  home = await mkdtemp(join(tmpdir(), 'emr-ipfs-kubo-'));
  kubo = await openStore({ home, ipfsApi: daemon.apiUrl, timeoutMs: 1_500 });
  embedded = await openStore({ home });
  client = create({ url: daemon.apiUrl });
}, 90_000);

afterAll(async () => {
  await kubo?.close();
  await embedded?.close();
  await daemon?.stop();
  if (home) await rm(home, { recursive: true, force: true });
}, 30_000);

async function pinnedRoots(): Promise<string[]> {
  const out: string[] = [];
  for await (const p of client.pin.ls({ type: 'recursive' })) out.push(p.cid.toV1().toString());
  return out;
}

describe('kubo backend', () => {
  it('reports its kind', () => {
    expect(kubo.kind).toBe('kubo');
  });

  it.each(SIZES)(
    "round-trips %i bytes with the same CID as the embedded store and as the node's own add",
    async (n) => {
      const bytes = bytesOf(n, 1000 + n);
      const viaKubo = await kubo.add(chunked(bytes));
      const viaEmbedded = await embedded.addBytes(bytes);
      expect(viaKubo).toEqual(viaEmbedded);
      // The node's own importer with the documented flags gives the same root.
      const own = await client.add(bytes, { ...KUBO_ADD_FLAGS, pin: false });
      expect(own.cid.toV1().toString()).toBe(viaKubo.cid);
      expect(cidFromDigest(viaKubo.codec, viaKubo.digest)).toBe(viaKubo.cid);
      expect(sameBytes(await collect(kubo.cat(viaKubo.cid)), bytes)).toBe(true);
      expect(await kubo.has(viaKubo.cid)).toBe(true);
      expect(await pinnedRoots()).toContain(viaKubo.cid);
    },
    60_000,
  );

  it('reads content the node got elsewhere (its own add), verified', async () => {
    const bytes = bytesOf(2 * 1_048_576 + 77, 2001);
    const own = await client.add(bytes, { ...KUBO_ADD_FLAGS });
    expect(sameBytes(await collect(kubo.cat(own.cid.toString())), bytes)).toBe(true);
  }, 30_000);

  it('unknown CID → NotFoundError within the configured bound; has() is false', async () => {
    const missing = cidFromDigest(0x55, new Uint8Array(32).fill(9));
    const err = await collect(kubo.cat(missing)).catch((e: unknown) => e);
    // Bounded, not a hang: the node's own 1.5 s bound answered (NOT_FOUND, "could not find");
    // our deadline past it would have been UNAVAILABLE "did not answer … in time". No clock.
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).exitCode).toBe(7);
    expect((err as NotFoundError).message).toMatch(/could not find/);
    expect(await kubo.has(missing)).toBe(false);
  }, 30_000);

  it('pin/unpin are reflected on the node; unpin is idempotent', async () => {
    const a = await kubo.addBytes(bytesOf(5000, 2002));
    expect(await pinnedRoots()).toContain(a.cid);
    await kubo.unpin(a.cid);
    expect(await pinnedRoots()).not.toContain(a.cid);
    await kubo.unpin(a.cid);
    await kubo.pin(a.cid);
    expect(await pinnedRoots()).toContain(a.cid);
  }, 30_000);

  it('a failed add leaves nothing new pinned', async () => {
    const before = (await pinnedRoots()).sort();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytesOf(2 * 1_048_576 + 1, 2003);
      throw new Error('source broke');
    }
    await expect(kubo.add(failing())).rejects.toThrow('source broke');
    expect((await pinnedRoots()).sort()).toEqual(before);
  }, 30_000);

  it('a malformed CID is a usage error', async () => {
    expect(() => kubo.cat('bafy-nope')).toThrow(UsageError);
  });
});

describe('kubo backend: endpoints that are down or lie', () => {
  it('endpoint down (closed port) → UnavailableError quickly, hint names --ipfs-api', async () => {
    const s = createServer();
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((ok) => s.close(() => ok()));
    const down = await openStore({ home, ipfsApi: `http://127.0.0.1:${port}` });
    // Quickly: each fails on the refused connection itself ("cannot reach"), not at the
    // request deadline ("did not answer … in time") and not after retries. No clock.
    const e1 = await down.addBytes(bytesOf(10, 1)).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(UnavailableError);
    expect((e1 as UnavailableError).exitCode).toBe(6);
    expect((e1 as UnavailableError).hint).toMatch(/--ipfs-api/);
    expect((e1 as UnavailableError).message).toMatch(/^cannot reach IPFS node/);
    const e2 = await collect(down.cat(cidFromDigest(0x55, new Uint8Array(32)))).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(UnavailableError);
    expect((e2 as UnavailableError).message).toMatch(/^cannot reach IPFS node/);
    await expect(down.has(cidFromDigest(0x55, new Uint8Array(32)))).rejects.toThrow(/^cannot reach IPFS node/);
    await down.close();
  });

  it('an endpoint that accepts but never answers → UnavailableError after the bound', async () => {
    const hang = createServer(() => {}); // never responds
    await new Promise<void>((ok) => hang.listen(0, '127.0.0.1', ok));
    const port = (hang.address() as AddressInfo).port;
    const store = await openStore({ home, ipfsApi: `http://127.0.0.1:${port}`, timeoutMs: 200 });
    const e = await collect(store.cat(cidFromDigest(0x55, new Uint8Array(32)))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnavailableError);
    await store.close();
    hang.closeAllConnections();
    await new Promise<void>((ok) => hang.close(() => ok()));
  }, 20_000);

  it('a bad URL is a usage error naming --ipfs-api', async () => {
    await expect(openStore({ home, ipfsApi: 'ftp://x' })).rejects.toBeInstanceOf(UsageError);
    await expect(openStore({ home, ipfsApi: 'not a url' })).rejects.toThrow(/--ipfs-api/);
  });

  it('a node that returns altered block bytes → IntegrityError, no altered byte yielded', async () => {
    const bytes = bytesOf(3 * 1_048_576, 3001);
    const { cid } = await kubo.addBytes(bytes);
    // A proxy in front of the real node that flips one byte in the 2nd block it serves.
    let served = 0;
    const upstream = new URL(daemon.apiUrl);
    const liar: Server = createServer((req, res) => {
      const fwd = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          const parts: Buffer[] = [];
          up.on('data', (d: Buffer) => parts.push(d));
          up.on('end', () => {
            let body = Buffer.concat(parts);
            if (req.url?.includes('/block/get') && up.statusCode === 200 && ++served === 2) {
              body = Buffer.from(body);
              body[body.length >> 1] = body[body.length >> 1]! ^ 0x01;
            }
            const headers = { ...up.headers };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(up.statusCode ?? 500, headers);
            res.end(body);
          });
        },
      );
      req.pipe(fwd);
    });
    await new Promise<void>((ok) => liar.listen(0, '127.0.0.1', ok));
    const port = (liar.address() as AddressInfo).port;
    const store = await openStore({ home, ipfsApi: `http://127.0.0.1:${port}` });
    const seen: Uint8Array[] = [];
    const err = await (async () => {
      for await (const p of store.cat(cid)) seen.push(p);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    const got = Buffer.concat(seen);
    expect(sameBytes(got, bytes.subarray(0, got.length))).toBe(true);
    expect(got.length).toBeLessThan(bytes.length);
    await store.close();
    liar.closeAllConnections();
    await new Promise<void>((ok) => liar.close(() => ok()));
    // The honest node still serves it intact.
    expect(CID.parse(cid).version).toBe(1);
    expect(sameBytes(await collect(kubo.cat(cid)), bytes)).toBe(true);
  }, 30_000);
});
