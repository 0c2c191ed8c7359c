/**
 * Record bundles on the two-thread path (src/crypto/bundle-parallel.ts): the same bytes as
 * the streaming path for the same file key and nonce, the same verdicts on damaged input,
 * and never an output file (or temporary file) after a failure (FORMAT.md § 1.6, § 1.7).
 */

import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { encryptFile } from '../../src/crypto/age-file.js';
import { decryptBundle, encryptBundle } from '../../src/crypto/bundle.js';
import { encodeMetadata, TRAILER_SIZE } from '../../src/crypto/bundle-format.js';
import { bundleDomain, EIP712_TYPES, eip712Value } from '../../src/crypto/bundle-signature.js';
import { asFileKey } from '../../src/crypto/keys.js';
import { IntegrityError, UsageError } from '../../src/errors.js';
import { bundleWorld, filesIn, patternBytes } from './helpers.js';

const w = bundleWorld();
const { author, patient, id } = w;
const meta = { patient: patient.address, author: author.address, type: 'lab-result', title: 'CBC', createdAt: 1_700_000_000 };
const content = (n: number) => patternBytes(n, 13, 5);
const fileKey = asFileKey(new Uint8Array(16).fill(9));
const nonce = new Uint8Array(16).fill(4);
const CHUNK = 65536;
const BATCH = 16 * CHUNK;
/** Length of the bundle prefix for `meta` (magic, length, metadata). */
const P = encodeMetadata({ v: 1, ...meta }).length;
type Path = 'stream' | 'parallel';

async function seal(n: number, path: Path, out = join(w.dir, `b.${path}`)): Promise<{ ct: Buffer; sha256: string }> {
  writeFileSync(join(w.dir, 'pt'), content(n));
  const r = await encryptBundle(
    { input: join(w.dir, 'pt'), output: out, recipients: [id.recipient], meta, signer: author },
    { fileKey, nonce, path },
  );
  return { ct: readFileSync(out), sha256: r.sha256 };
}

async function open(ct: Buffer, path: Path) {
  writeFileSync(join(w.dir, 'in.age'), ct);
  rmSync(join(w.dir, 'out.bin'), { force: true });
  const before = filesIn(w.dir).filter((f) => f !== 'out.bin');
  try {
    const res = await decryptBundle({ input: join(w.dir, 'in.age'), output: join(w.dir, 'out.bin'), identities: [id.identity] }, { path });
    return { res, out: readFileSync(join(w.dir, 'out.bin')) };
  } catch (err) {
    expect(
      filesIn(w.dir).filter((f) => f !== 'out.bin'),
      'no temporary file left',
    ).toEqual(before);
    expect(filesIn(w.dir)).not.toContain('out.bin');
    return { err };
  }
}

// Sizes around the edges the fast path computes: the prefix/trailer split of the tail
// chunks (P + n and P + n + 105 at multiples of 64 KiB), batch boundaries, several batches.
const edge = (k: number) => [
  k * CHUNK - P - TRAILER_SIZE - 1,
  k * CHUNK - P - TRAILER_SIZE,
  k * CHUNK - P - TRAILER_SIZE + 1,
  k * CHUNK - P - 1,
  k * CHUNK - P,
  k * CHUNK - P + 1,
];
const sizes = [0, 1, 1000, ...edge(1), ...edge(2), ...edge(16), ...edge(17), 3 * BATCH + 12_345].filter((n) => n >= 0);

describe('bundles on the two-thread path', () => {
  it.each(sizes)(
    'payload byte-identical to the stream path and opens on both paths (%i bytes)',
    async (n) => {
      const s = await seal(n, 'stream');
      const p = await seal(n, 'parallel');
      expect(p.sha256).toBe(s.sha256);
      expect(p.sha256).toBe(createHash('sha256').update(content(n)).digest('hex'));
      // The header differs (fresh ephemeral X25519 share per call); nonce and STREAM must not.
      const payload = (ct: Buffer) => ct.subarray(ct.indexOf('\n--- ') + 49);
      const T = P + n + TRAILER_SIZE;
      expect(payload(p.ct).length).toBe(16 + T + 16 * Math.ceil(T / CHUNK));
      expect(payload(p.ct).equals(payload(s.ct))).toBe(true);
      for (const path of ['stream', 'parallel'] as const) {
        const { res, out, err } = await open(p.ct, path);
        expect(err).toBeUndefined();
        expect(out!.equals(content(n))).toBe(true);
        expect(res).toMatchObject({ signed: true, author: author.address, sha256: s.sha256, size: n });
      }
    },
    60_000,
  );

  it('a plain age file opens unsigned on the parallel path, with the same hash as the stream path', async () => {
    for (const n of [0, 5, CHUNK, 2 * BATCH + 7]) {
      writeFileSync(join(w.dir, 'plain'), content(n));
      await encryptFile({ recipients: [id.recipient], input: join(w.dir, 'plain'), output: join(w.dir, 'plain.age') });
      const ct = readFileSync(join(w.dir, 'plain.age'));
      const s = await open(ct, 'stream');
      const p = await open(ct, 'parallel');
      expect(p.res).toEqual({ signed: false, sha256: createHash('sha256').update(content(n)).digest('hex'), size: n });
      expect(p.res).toEqual(s.res);
      expect(p.out!.equals(content(n))).toBe(true);
    }
  });

  describe('damaged bundles → IntegrityError on both paths, no output file', () => {
    const n = 3 * BATCH + 500; // 49 chunks: chunk 0, worker batches, the tail
    let good: Buffer;
    let payloadStart: number;
    beforeAll(async () => {
      good = (await seal(n, 'parallel')).ct;
      payloadStart = good.length - (P + n + TRAILER_SIZE) - Math.ceil((P + n + TRAILER_SIZE) / CHUNK) * 16;
    });
    const at = (c: number) => payloadStart + c * (CHUNK + 16);
    const cases: [string, (b: Buffer) => Buffer][] = [
      ['a flip in chunk 0 (the prefix)', (b) => flip(b, at(0) + 20)],
      ['a flip in a worker batch', (b) => flip(b, at(20) + 100)],
      ['a flip in the last chunk (the trailer)', (b) => flip(b, b.length - 30)],
      ['a flip in the header MAC', (b) => flip(b, payloadStart - 20)],
      ['truncation at a chunk boundary', (b) => b.subarray(0, at(30))],
      ['truncation inside a chunk', (b) => b.subarray(0, at(30) + 999)],
      ['trailing bytes', (b) => Buffer.concat([b, Buffer.from([0])])],
      [
        'two chunks swapped',
        (b) => Buffer.concat([b.subarray(0, at(5)), b.subarray(at(6), at(7)), b.subarray(at(5), at(6)), b.subarray(at(7))]),
      ],
      ['the final chunk dropped', (b) => b.subarray(0, at(Math.ceil((P + n + TRAILER_SIZE) / CHUNK) - 1))],
    ];
    it.each(cases)('%s', async (_name, damage) => {
      for (const path of ['stream', 'parallel'] as const) {
        const { err } = await open(damage(good), path);
        expect(err, path).toBeInstanceOf(IntegrityError);
      }
    });
  });

  /** Hand-made bundles (valid age, bad bundle) of a size that spans worker batches. */
  async function craft(mutate: (p: { prefix: Buffer; body: Buffer; sha: Buffer; size: bigint; sig: Buffer }) => void, signer = author) {
    const m = { v: 1 as const, ...meta };
    const body = content(2 * BATCH + 321);
    const sha = createHash('sha256').update(body).digest();
    const sig = Buffer.from(
      (await signer.signTypedData(bundleDomain({}), EIP712_TYPES, eip712Value(m, BigInt(body.length), sha))).slice(2),
      'hex',
    );
    const p = { prefix: encodeMetadata(m), body, sha, size: BigInt(body.length), sig };
    mutate(p);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(p.size);
    writeFileSync(join(w.dir, 'crafted'), Buffer.concat([p.prefix, p.body, p.sha, size, p.sig]));
    await encryptFile({ recipients: [id.recipient], input: join(w.dir, 'crafted'), output: join(w.dir, 'crafted.age') });
    return readFileSync(join(w.dir, 'crafted.age'));
  }

  it('accepts the hand-made control bundle on the parallel path', async () => {
    const { res, err } = await open(await craft(() => undefined), 'parallel');
    expect(err).toBeUndefined();
    expect(res).toMatchObject({ signed: true, author: author.address });
  });

  it.each([
    ['a signature by another key', () => craft(() => undefined, new Wallet('0x' + '33'.repeat(32)))],
    ['a wrong content hash', () => craft((p) => (p.sha[0]! ^= 1))],
    ['a wrong size', () => craft((p) => (p.size -= 1n))],
    ['content changed after signing (in a worker batch)', () => craft((p) => (p.body[BATCH + 10]! ^= 1))],
    ['content changed after signing (in the tail)', () => craft((p) => (p.body[p.body.length - 1]! ^= 1))],
    ['a signature with v = 29', () => craft((p) => (p.sig[64] = 29))],
    ['a trailer cut short', () => craft((p) => (p.sig = p.sig.subarray(0, 60)))],
    ['metadata length zero', () => craft((p) => p.prefix.writeUInt32BE(0, 14))],
    [
      'magic only',
      () =>
        craft((p) => {
          p.prefix = p.prefix.subarray(0, 14);
          p.body = Buffer.alloc(0);
          p.sha = Buffer.alloc(0);
          p.sig = Buffer.alloc(0);
        }),
    ],
  ] as const)('rejects %s on both paths with IntegrityError and no output', async (_n, make) => {
    const ct = await make();
    for (const path of ['stream', 'parallel'] as const) {
      const { err } = await open(ct, path);
      expect(err, path).toBeInstanceOf(IntegrityError);
    }
  });

  it('a file modified while it is encrypted (during signing) → UsageError, no output file', async () => {
    writeFileSync(join(w.dir, 'pt'), content(2 * BATCH));
    const before = filesIn(w.dir);
    const signer = {
      address: author.address,
      signTypedData: async (...a: Parameters<Wallet['signTypedData']>) => {
        await new Promise((r) => setTimeout(r, 20));
        writeFileSync(join(w.dir, 'pt'), content(2 * BATCH).fill(0, 0, 10)); // same size, new bytes
        return author.signTypedData(...a);
      },
    };
    await expect(
      encryptBundle(
        { input: join(w.dir, 'pt'), output: join(w.dir, 'mod.age'), recipients: [id.recipient], meta, signer },
        { path: 'parallel' },
      ),
    ).rejects.toBeInstanceOf(UsageError);
    expect(filesIn(w.dir)).toEqual(before);
  });

  it('a failing signer on the parallel path: its error, and no output file', async () => {
    writeFileSync(join(w.dir, 'pt'), content(2 * BATCH));
    const before = filesIn(w.dir);
    const signer = {
      address: author.address,
      signTypedData: async () => {
        throw new Error('hardware wallet unplugged');
      },
    };
    await expect(
      encryptBundle(
        { input: join(w.dir, 'pt'), output: join(w.dir, 'fail.age'), recipients: [id.recipient], meta, signer },
        { path: 'parallel' },
      ),
    ).rejects.toThrow('hardware wallet unplugged');
    expect(filesIn(w.dir)).toEqual(before);
  });
});

function flip(b: Buffer, i: number): Buffer {
  const c = Buffer.from(b);
  c[i]! ^= 0x01;
  return c;
}
