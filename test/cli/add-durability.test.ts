// STORAGE.md § Durability for one `record add` (not only batches): the record's block and pin
// files are synced to disk before the transaction that registers its CID is sent. Before,
// `record add` registered on chain with the bytes maybe still in the page cache: a power
// loss could leave the chain naming a record whose bytes no store holds.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base32upper } from 'multiformats/bases/base32';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic } from '../helpers/cli.js';
import { syncsCompleted } from '../helpers/strace.js';
import { straceEmr } from '../helpers/strace-run.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
const c = clinic();

beforeAll(async () => {
  await c.fromWorld();
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
});

function blockPath(cid: string): string {
  const name = base32upper.encoder.encode(CID.parse(cid).multihash.bytes);
  return join(c.home, 'ipfs', 'blocks', name.slice(-2), `${name}.data`);
}

describe('record add durability', () => {
  it.skipIf(!hasStrace)(
    'MUST (STORAGE.md § Durability): record add syncs its block and pin files before it sends the transaction that registers them (syscall order under strace)',
    async () => {
      const trace = join(c.home, 'add-strace.txt');
      const args = [...c.as('grey'), '--json', 'record', 'add', c.file('durable.txt', 'K 4.1'), '--patient', 'alice', '--type', 'lab'];
      const { code, stdout: out } = await straceEmr(trace, args, {
        syscalls: 'openat,rename,renameat,renameat2,syncfs,sync,fsync,fdatasync,write,writev',
        stringBytes: 400,
      });
      expect(code).toBe(0);
      const cid = JSON.parse(out).data.records[0].cid as string;
      const lines = readFileSync(trace, 'utf8').split('\n');
      const madeAt = (path: string) => lines.findLastIndex((l) => / (openat|rename|renameat2?)\(/.test(l) && l.includes(`"${path}"`));
      const made = [madeAt(blockPath(cid)), madeAt(join(c.home, 'ipfs', 'pins', cid))];
      expect(Math.min(...made), 'the block and pin files are in the trace').toBeGreaterThan(-1);
      const sent = lines.findIndex((l) => / writev?\(/.test(l) && l.includes('eth_sendRawTransaction'));
      expect(sent, 'the transaction is in the trace').toBeGreaterThan(-1);
      const last = Math.max(...made);
      expect(last).toBeLessThan(sent);
      const synced = syncsCompleted(lines, join(c.home, 'ipfs'));
      const sync = lines.findIndex((_, i) => i > last && i < sent && synced[i]);
      expect(sync, `no sync between the last store write (line ${last + 1}) and the transaction (line ${sent + 1})`).toBeGreaterThan(-1);
    },
    120_000,
  );
});
