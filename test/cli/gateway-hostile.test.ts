// Issue 20 § 3 and § 10 (docs/STORAGE.md § Gateways "Time" and "Encoding"): hostile
// gateways that drip bytes or compress their answers, through the built binary on a
// devnet. A record added by grey lives only in site A's store (served by `emr store
// serve`); alice's own store is empty, so `fetch` reads through the gateways given. The
// attacker is a local HTTP server in this file (loopback only, every answer bounded).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { type ServingSite, serveSite } from '../helpers/serve.js';

const c = clinic();
const { as, ok } = c;
const siteHome = mkdtempSync(join(tmpdir(), 'emr-site-'));
let site: ServingSite | undefined;
let attacker: Server | undefined;
let attackerUrl = '';
/** What the attacking gateway does with the next requests. */
let mode: 'drip' | 'drip-file' | 'gzip-valid' | 'gzip-bomb' = 'drip';
/** How many of the attacker's answers the client cut off. */
const seen = { cutOff: 0 };
const content = randomBytes(2 * 1024 * 1024 + 777); // over one chunk: a dag-pb root
let rec: { id: string; cid: string };
let ciphertext: Buffer;
/** One gzip member of 16 MiB of zeros (~16 KiB): members concatenate when decoded. */
const member = gzipSync(Buffer.alloc(16 << 20));

beforeAll(async () => {
  // The shared clinic (test/helpers/shared-world.ts): alice has granted grey (verified)
  // lab,note with write.
  await c.fromWorld();
  writeFileSync(join(c.home, 'cbc.bin'), content);
  rec = (await ok([...as('grey'), 'record', 'add', join(c.home, 'cbc.bin'), '--patient', 'alice', '--type', 'lab'])).records[0];
  const raw = join(c.home, 'cbc.age');
  await ok([...as('alice'), 'fetch', rec.id, '--raw', '-o', raw, '--no-receipt']);
  ciphertext = readFileSync(raw);
  // The record now lives at site A only: alice's home keeps an empty store.
  renameSync(join(c.home, 'ipfs'), join(siteHome, 'ipfs'));
  site = await serveSite(['--home', siteHome]);

  attacker = createServer((_req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) seen.cutOff++;
    });
    if (mode === 'drip' || mode === 'drip-file') {
      // One byte every 100 ms, for at most 100,000 bytes: never silent long enough to
      // trip a stall timer, never done. As a raw block, or as a whole file.
      res.writeHead(200, { 'content-type': mode === 'drip' ? 'application/vnd.ipld.raw' : 'application/octet-stream' });
      let sent = 0;
      const t = setInterval(() => {
        if (++sent > 100_000) {
          clearInterval(t);
          res.end();
        } else res.write(Buffer.from([0]));
      }, 100);
      res.on('close', () => clearInterval(t));
      return;
    }
    // A whole-file answer (not a raw block), compressed though emr asked for identity.
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' });
    if (mode === 'gzip-valid') return void res.end(gzipSync(ciphertext));
    // 64 members: ~1 MiB on the wire, 1 GiB once decoded.
    let n = 0;
    const pump = (): void => {
      while (n < 64) {
        n++;
        if (!res.write(member)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  await new Promise<void>((r) => attacker!.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  await site?.stop();
  attacker?.closeAllConnections();
  await new Promise((r) => (attacker ? attacker.close(r) : r(undefined)));
  await c.devnetDown();
  rmSync(c.home, { recursive: true, force: true });
  rmSync(siteHome, { recursive: true, force: true });
}, 120_000);

/** Nothing of the record may be left in alice's home after a failed fetch. */
function strayFiles(): string[] {
  const tmp = join(c.home, 'tmp');
  return existsSync(tmp) ? readdirSync(tmp) : [];
}

let n = 0;
function outPath(): string {
  const d = join(c.home, `out-${++n}`);
  mkdirSync(d);
  return join(d, 'cbc.bin');
}

const fetchVia = (gateways: string[], out: string, env: Record<string, string> = {}) =>
  emr([...as('alice'), '--json', ...gateways.flatMap((g) => ['--ipfs-gateway', g]), 'fetch', rec.id, '-o', out, '--no-receipt'], {
    env,
    // Before the fix a dripping gateway kept fetch going for ever: the run is cut here.
    timeoutMs: 60_000,
  });

describe('issue 20 § 3: a gateway that drips (STORAGE.md § Gateways "Time": deadline scaled to the bytes)', () => {
  it.each(['drip', 'drip-file'] as const)(
    '%s: a dripping gateway listed first MUST be given up after its deadline, and the next gateway used',
    async (m) => {
      mode = m;
      const out = outPath();
      const r = await fetchVia([attackerUrl, site!.url], out, { EMR_IPFS_TIMEOUT: '2' });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(readFileSync(out).equals(content)).toBe(true);
      expect(seen.cutOff).toBeGreaterThan(0);
    },
    90_000,
  );

  it('only dripping gateways: exit 6 (UNAVAILABLE), nothing written', async () => {
    mode = 'drip';
    const out = outPath();
    const r = await fetchVia([attackerUrl], out, { EMR_IPFS_TIMEOUT: '2' });
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json!.error!.code).toBe('UNAVAILABLE');
    expect(r.json!.error!.message).toMatch(/too slowly/);
    expect(existsSync(out)).toBe(false);
    expect(strayFiles()).toEqual([]);
  }, 90_000);
});

describe('issue 20 § 10: compressed answers (STORAGE.md § Gateways "Encoding")', () => {
  it('an answer with Content-Encoding: gzip MUST be refused before it is decoded, even when it decodes to the right file: exit 4, nothing written', async () => {
    mode = 'gzip-valid';
    const out = outPath();
    const r = await fetchVia([attackerUrl], out);
    // Before: fetch() decoded it, the re-import matched the CID, and it was used (exit 0).
    expect(r.code, r.stderr + r.stdout).toBe(4);
    expect(r.json!.error!.message).toMatch(/Content-Encoding/);
    expect(existsSync(out)).toBe(false);
    expect(strayFiles()).toEqual([]);
  });

  it('a gzip bomb (1 MiB → 1 GiB) listed first is refused unread and the honest gateway after it serves the record', async () => {
    mode = 'gzip-bomb';
    const out = outPath();
    const r = await fetchVia([attackerUrl, site!.url], out);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(out).equals(content)).toBe(true);
    expect(strayFiles()).toEqual([]);
  });
});
