// Issue 8 § 5–7 and issue 10 § 4: `fetch` against a hostile provider and a hostile store,
// through the built binary on a devnet. A provider with write access (its key imported
// from a wallet the test holds, so it can also send raw contract calls) registers
// content that is not what it claims; whatever fails, no plaintext may remain on disk.

import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { connectChain } from '../../src/chain/client.js';
import type { EmrChain } from '../../src/chain/types.js';
import { encryptFile } from '../../src/crypto/age-file.js';
import { openEmbeddedStore } from '../../src/ipfs/embedded.js';
import { clinic, emr } from '../helpers/cli.js';
import { putBomb } from '../ipfs/dag-bomb.js';

const c = clinic();
const { as, ok, file } = c;
let rpcUrl = '';
let contract = '';
let alice = { address: '', recipient: '' };
let mal: EmrChain;
const malWallet = Wallet.createRandom();

/** A fresh directory to fetch into: afterwards it must hold exactly what the test expects. */
let n = 0;
function outDir(): string {
  const d = join(c.home, `out-${++n}`);
  mkdirSync(d);
  return d;
}

/**
 * mal registers `cid` as its own record for alice (a raw contract call, as with cast), under
 * alice's slot for `type` (CONTRACT.md § Privacy: mal, a grantee, holds her type key).
 */
async function malRegisters(cid: string, type = 'lab'): Promise<string> {
  const recordType = (await c.slotsOf('alice')).slotOf(type);
  return (await addRecord(mal, { cid, patient: alice.address, recordType })).id.toString();
}

/** Puts bytes in the shared embedded store directly (the real store, as an attacker could). */
async function storeBytes(bytes: Uint8Array): Promise<string> {
  const s = await openEmbeddedStore({ dir: join(c.home, 'ipfs') });
  try {
    return (await s.addBytes(bytes)).cid;
  } finally {
    await s.close();
  }
}

beforeAll(async () => {
  // The shared clinic (test/helpers/shared-world.ts): alice, grey verified, alice's grant to
  // grey of lab,note with write for 1y.
  const d = await c.fromWorld();
  rpcUrl = d.rpcUrl;
  contract = d.contract;
  // The test keeps mal's wallet (the recovery phrase) to send raw contract calls.
  writeFileSync(join(c.home, 'mal.words'), malWallet.mnemonic!.phrase);
  const imp = await emr(
    ['--home', c.home, '--json', 'key', 'import', join(c.home, 'mal.words'), '--mnemonic', '--name', 'mal', '--role', 'provider'],
    { env: { EMR_PASSWORD: 'mal-pass-123' } },
  );
  expect(imp.code, imp.stderr).toBe(0);
  expect(imp.json!.data.address).toBe(malWallet.address);
  writeFileSync(join(c.home, 'mal.pw'), 'mal-pass-123\n');
  await ok(['--home', c.home, '--profile', 'mal', '--password-file', join(c.home, 'mal.pw'), 'register', '--role', 'provider']);
  await ok([...as('admin'), 'admin', 'verify', 'mal']);
  await ok([...as('alice'), 'grant', 'mal', '--types', 'lab,note', '--write', '--expires', '1y']);
  // Her public profile (what she registered), not `whois`: no contact pinned that the test did not pin before.
  const profile = JSON.parse(readFileSync(join(c.home, 'profiles', 'alice.json'), 'utf8'));
  alice = { address: profile.address, recipient: profile.recipient };
  mal = await connectChain({ rpcUrl, contract, signer: malWallet, pollingIntervalMs: 50 });
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
});

/** What a directory holds (hidden files included: a leftover `.emr-fetch-*` counts). */
const ls = (d: string) => readdirSync(d).sort();

describe('issue 8 § 5: no plaintext on disk after a failed fetch', () => {
  let stolenId = '';
  const secret = 'HbA1c 6.1% — the plaintext that must not leak';
  beforeAll(async () => {
    const rec = (await ok([...as('grey'), 'record', 'add', file('hba1c.txt', secret), '--patient', 'alice', '--type', 'lab'])).records[0];
    // mal re-registers grey's bundle as its own record: signature valid, author wrong.
    stolenId = await malRegisters(rec.cid);
  });

  it('another author’s bundle: `fetch -o out.txt` exits 4 and out.txt does not exist', async () => {
    const d = outDir();
    const r = await emr([...as('alice'), '--json', 'fetch', stolenId, '-o', join(d, 'out.txt'), '--no-receipt']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.json?.error?.message).toMatch(/signer is not the author/);
    expect(ls(d)).toEqual([]);
  });

  it('another author’s bundle: `fetch` (default name) exits 4 and leaves no hidden .emr-fetch-* file', async () => {
    const d = outDir();
    const r = await emr([...as('alice'), '--json', 'fetch', stolenId, '--no-receipt'], { cwd: d });
    expect(r.code, r.stderr).toBe(4);
    expect(ls(d)).toEqual([]);
  });

  it('unsigned content (a plain age file to the patient): exit 4, nothing written', async () => {
    const chunks: Buffer[] = [];
    const { PassThrough, Readable } = await import('node:stream');
    const sink = new PassThrough();
    sink.on('data', (b: Buffer) => chunks.push(b));
    await encryptFile({ recipients: [alice.recipient], input: Readable.from([Buffer.from(secret)]), output: sink });
    const id = await malRegisters(await storeBytes(Buffer.concat(chunks)));
    const d = outDir();
    const r = await emr([...as('alice'), '--json', 'fetch', id, '-o', join(d, 'plain.txt'), '--no-receipt']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.json?.error?.message).toMatch(/not a signed bundle/);
    expect(ls(d)).toEqual([]);
    const r2 = await emr([...as('alice'), '--json', 'fetch', id, '--no-receipt'], { cwd: d });
    expect(r2.code).toBe(4);
    expect(ls(d)).toEqual([]);
  });

  it('`fetch -o -` of a rejected record prints no plaintext on stdout', async () => {
    const r = await emr([...as('alice'), 'fetch', stolenId, '-o', '-', '--no-receipt']);
    expect(r.code).toBe(4);
    expect(r.stdout).not.toContain('HbA1c');
  });
});

describe('issue 10 § 4: `fetch -o -` means stdout', () => {
  it('writes the verified plaintext to stdout and no file named "-"', async () => {
    const text = 'ferritin 85 ng/mL\n';
    const rec = (await ok([...as('grey'), 'record', 'add', file('ferritin.txt', text), '--patient', 'alice', '--type', 'lab'])).records[0];
    const d = outDir();
    const r = await emr([...as('alice'), 'fetch', rec.id, '-o', '-', '--no-receipt'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(text);
    expect(ls(d)).toEqual([]);
    const raw = await emr([...as('alice'), 'fetch', rec.id, '--raw', '-o', '-', '--no-receipt'], { cwd: d });
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stdoutBytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(ls(d)).toEqual([]);
    const j = await emr([...as('alice'), '--json', 'fetch', rec.id, '-o', '-', '--no-receipt']);
    expect(j.code).toBe(2);
  });
});

describe('issue 8 § 6: DAG bomb', () => {
  it('a 3-block DAG reusing one leaf, declaring 64 MiB: `fetch --raw` exits 4 and writes nothing', async () => {
    const { root, declared } = await putBomb(join(c.home, 'ipfs', 'blocks'), 1 << 16, 32, 32);
    expect(declared).toBe(64 << 20);
    const id = await malRegisters(root.toString());
    const d = outDir();
    const r = await emr([...as('alice'), '--json', 'fetch', id, '--raw', '-o', join(d, 'bomb.age'), '--no-receipt']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.json?.error?.message).toMatch(/linked more than once/);
    expect(ls(d)).toEqual([]);
  });
});

describe('issue 8 § 7: a hostile Kubo endpoint cannot exhaust memory', () => {
  it('a 256 MiB answer to block/get is cut off after MAX_BLOCK_SIZE: exit 4, the node could not send it all', async () => {
    const rec = (await ok([...as('grey'), 'record', 'add', file('tsh.txt', 'TSH 2.1'), '--patient', 'alice', '--type', 'lab'])).records[0];
    const TOTAL = 256 << 20;
    let sent = 0;
    let finished = false;
    // The attacker: answers every block/get with an endless stream (no Content-Length).
    const server = createServer((req, res) => {
      if (!req.url?.startsWith('/api/v0/block/get')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(1 << 16, 0x61);
      const pump = (): void => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        finished = true;
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    try {
      const d = outDir();
      const r = await emr([
        ...as('alice'),
        '--json',
        '--ipfs-api',
        `http://127.0.0.1:${port}`,
        'fetch',
        rec.id,
        '--raw',
        '-o',
        join(d, 'x.age'),
        '--no-receipt',
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(4);
      expect(r.json?.error?.message).toMatch(/larger than/);
      expect(ls(d)).toEqual([]);
      // Reading stopped while streaming: only socket buffers' worth left the server.
      expect(finished).toBe(false);
      expect(sent).toBeLessThan(64 << 20);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
