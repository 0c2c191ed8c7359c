// A hostile Kubo endpoint answering block/put or pin/add with an error whose body never
// ends (issue 8 point 5; docs/STORAGE.md § Limits): emr MUST read at most 64 KiB of any
// error answer, then close the connection, and fail with exit 6 and a one-line error.
// Bounded memory and time are asserted by the process finishing at all (the endless body
// would otherwise run until the 10-minute pin deadline, buffering it all) — no wall clock.

import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomCar } from '../helpers/car.js';
import { emr, tempHome } from '../helpers/cli.js';

const t = tempHome();
let server: Server;
let api = '';
/** Which endpoint answers 500 with an endless body. */
let hostileOn: 'block/put' | 'pin/add' = 'block/put';
/** Bytes of error body the server got written before the client hung up. */
const sent: number[] = [];
let car = '';

function endless(res: ServerResponse): void {
  res.writeHead(500, { 'content-type': 'text/plain' });
  const chunk = Buffer.from(`${'x'.repeat(1023)}\n`);
  let n = 0;
  const pump = (): void => {
    // A hard stop far above the bound, so a broken client cannot hang the test forever.
    while (n < 512 * 1024 * 1024 && !res.destroyed) {
      n += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    sent.push(n);
    res.end();
  };
  res.on('close', () => sent.push(n));
  pump();
}

/** The bytes of the one part of a multipart/form-data body. */
function onePart(body: Buffer, contentType: string): Buffer {
  const boundary = /boundary=(.+)$/.exec(contentType)![1]!.replace(/"/g, '');
  const start = body.indexOf('\r\n\r\n') + 4;
  const end = body.lastIndexOf(`\r\n--${boundary}--`);
  return body.subarray(start, end);
}

beforeAll(async () => {
  // A CAR of one 3 MiB file (a dag-pb root over raw leaves), made with the same importer.
  car = join(t.home, 'backup.car');
  await writeRandomCar(car, 3 * 1024 * 1024);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', async () => {
      const url = new URL(req.url!, 'http://x');
      const endpoint = url.pathname.replace(/^\/api\/v0\//, '');
      if (endpoint === hostileOn) return endless(res);
      if (endpoint === 'block/put') {
        const bytes = onePart(Buffer.concat(chunks), String(req.headers['content-type']));
        const codec = url.searchParams.get('format') === 'raw' ? 0x55 : 0x70;
        const cid = CID.createV1(codec, await sha256.digest(bytes));
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ Key: cid.toString(), Size: bytes.length }));
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  api = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}, 60_000);

afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

describe('a hostile Kubo node: endless error bodies (STORAGE.md § Limits)', () => {
  for (const where of ['block/put', 'pin/add'] as const) {
    it(`${where} answering 500 with an endless body: emr MUST read at most 64 KiB of it, exit 6, one line`, async () => {
      hostileOn = where;
      sent.length = 0;
      const r = await emr(['--home', t.home, '--ipfs-api', api, 'store', 'import', car], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(6);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`refused ${where.replace('/add', '').replace('/', '\\/')}`));
      // One line of the node's text (cut), then emr's own hint line.
      expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
      expect(lines[0]!.length).toBeLessThan(400);
      // The server stopped because the client hung up, far below its own 512 MiB stop.
      expect(Math.max(...sent)).toBeLessThan(64 * 1024 * 1024);
    }, 150_000);
  }
});
