// STORAGE.md § Gateways: a gateway that lied once in a run is not asked again, and a later
// read that finds no other gateway MUST report that lie (IntegrityError, exit 4), not "on
// none of the gateways" (NotFoundError, exit 7): before, the second CID a run read through
// a lying gateway (a record after its key delivery, the second row of record list
// --details) came out as not found. In-process: a local HTTP server that answers every
// block with wrong bytes.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGatewayReader } from '../../src/ipfs/gateway.js';

const scratch = mkdtempSync(join(tmpdir(), 'emr-gw-dead-'));
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' });
    res.end(Buffer.from('not the block you asked for'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(scratch, { recursive: true, force: true });
});

async function rawCid(text: string): Promise<CID> {
  return CID.create(1, 0x55, await sha256.digest(new TextEncoder().encode(text)));
}

async function failureOf(it: AsyncIterable<Uint8Array>): Promise<{ code?: string } | undefined> {
  try {
    for await (const _ of it) {
      // drain
    }
  } catch (e) {
    return e as { code?: string };
  }
  return undefined;
}

describe('a gateway that lied earlier in the run (STORAGE.md § Gateways)', () => {
  it('MUST report the lie (exit 4) for every later read it is the only gateway for, not NOT_FOUND', async () => {
    const reader = openGatewayReader({ urls: [url], scratchDir: scratch, timeoutMs: 5_000 });
    expect((await failureOf(reader.cat((await rawCid('first')).toString())))?.code).toBe('INTEGRITY');
    expect((await failureOf(reader.cat((await rawCid('second')).toString())))?.code).toBe('INTEGRITY');
  });
});
