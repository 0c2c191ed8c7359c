// Issue 13 § 2 (docs/STORAGE.md § "Whole-file gateways"): a gateway that answers a
// raw-block request with the whole file (measured: the js-ipfs 0.66 daemon's gateway) is
// still usable, because the fixed import settings let the reader re-import the file and
// compare root CIDs before a byte is used. Run against the real test daemon's gateway
// (Kubo, when on PATH, serves raw blocks and takes the block path instead).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'kubo-rpc-client';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carBytes, walkDag } from '../../src/ipfs/car.js';
import { openGatewayReader } from '../../src/ipfs/gateway.js';
import { openStore, type RecordStore } from '../../src/ipfs/store.js';
import { importCarFile } from '../../src/ops/import-car.js';
import { startDaemon, type TestDaemon } from './daemon.js';

let daemon: TestDaemon | undefined;
let kubo: RecordStore | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'emr-gw-'));

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

beforeAll(async () => {
  daemon = await startDaemon();
  kubo = await openStore({ home: scratch, ipfsApi: daemon.apiUrl });
}, 120_000);

afterAll(async () => {
  await kubo?.close();
  await daemon?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe('reading through the test daemon’s own gateway', () => {
  it('the daemon has a gateway address', () => {
    expect(daemon!.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a multi-block record (dag-pb root) comes back byte-identical, verified, with no scratch file left', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 5);
    const { cid } = await kubo!.addBytes(content);
    // Which path this takes: measured, js-ipfs 0.66 answers a raw-block request with the
    // whole file (so the re-import path runs); Kubo answers with the block.
    const probe = await fetch(`${daemon!.gatewayUrl}/ipfs/${cid}?format=raw`, { headers: { accept: 'application/vnd.ipld.raw' } });
    const type = probe.headers.get('content-type');
    const body = Buffer.from(await probe.arrayBuffer());
    if (daemon!.kind === 'js-ipfs') {
      expect(type).not.toBe('application/vnd.ipld.raw');
      expect(body.equals(content)).toBe(true);
    }
    const reader = openGatewayReader({ urls: [daemon!.gatewayUrl!], scratchDir: scratch, timeoutMs: 20_000 });
    expect((await collect(reader.cat(cid))).equals(content)).toBe(true);
    expect(readdirSync(scratch).filter((n) => n.startsWith('.gateway-'))).toEqual([]);
  });

  it('a single-block record (raw root) comes back byte-identical', async () => {
    const content = randomBytes(1000);
    const { cid } = await kubo!.addBytes(content);
    const reader = openGatewayReader({ urls: [daemon!.gatewayUrl!], scratchDir: scratch, timeoutMs: 20_000 });
    expect((await collect(reader.cat(cid))).equals(content)).toBe(true);
  });

  it('a CID the gateway does not have fails (7 not found, or 6 when the gateway only times out), never hangs', async () => {
    const other = await openStore({ home: mkdtempSync(join(tmpdir(), 'emr-gw2-')) });
    const { cid } = await other.addBytes(randomBytes(2 * 1024 * 1024));
    await other.close();
    const reader = openGatewayReader({ urls: [daemon!.gatewayUrl!], scratchDir: scratch, timeoutMs: 3_000 });
    const err = await collect(reader.cat(cid)).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(['NOT_FOUND', 'UNAVAILABLE']).toContain(err?.code);
  });
});

describe('CAR files on a Kubo-compatible node (STORAGE.md § "CAR files")', () => {
  it('a CAR emr writes is accepted by the node’s own `dag import`, and `store import` fills a Kubo store from it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'emr-car-'));
    const local = await openStore({ home });
    const content = randomBytes(2 * 1024 * 1024 + 3);
    const { cid } = await local.addBytes(content);
    const root = CID.parse(cid);
    const parts: Uint8Array[] = [];
    for await (const c of carBytes(
      [root],
      walkDag(root, (c) => local.getBlock!(c)),
    ))
      parts.push(c);
    await local.close();
    const car = join(home, 'x.car');
    writeFileSync(car, Buffer.concat(parts));

    // The node's own importer (`ipfs dag import`) takes the file and reports the root.
    const client = create({ url: daemon!.apiUrl });
    const roots: string[] = [];
    for await (const r of client.dag.import(
      (async function* () {
        yield Buffer.concat(parts);
      })(),
    ))
      roots.push(r.root.cid.toV1().toString());
    expect(roots).toEqual([cid]);

    // emr's importer into the Kubo backend: verified, stored, pinned; then readable.
    const res = await importCarFile(kubo!, car);
    expect(res.pinned).toEqual([cid]);
    expect((await collect(kubo!.cat(cid))).equals(content)).toBe(true);
    rmSync(home, { recursive: true, force: true });
  });
});
