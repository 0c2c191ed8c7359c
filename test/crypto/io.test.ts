/**
 * The byte reader and the file sink under the streaming paths (src/crypto/io.ts): the same
 * bytes however the input arrives in pieces (a header line split across pieces, chunks
 * spanning store blocks, empty pieces), and the write-behind file sink keeps order, and
 * leaves no file when a write fails (docs/FORMAT.md § 1.6).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decryptBundle, encryptBundle } from '../../src/crypto/bundle.js';
import { ByteReader, fileSink } from '../../src/crypto/io.js';
import { tinyTmpfs } from '../helpers/tmpfs.js';
import { bundleWorld } from './helpers.js';

const w = bundleWorld();

/** `bytes` as an async iterable of pieces of the given sizes, cycled (0 = an empty piece). */
async function* pieces(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield new Uint8Array(bytes.subarray(at, at + n)); // a copy, as a store hands out blocks
    at += n;
  }
}

describe('ByteReader', () => {
  it('take() returns the bytes in order across piece boundaries, copying only a read that spans pieces', async () => {
    const src = randomBytes(1000);
    const r = new ByteReader(pieces(src, [3, 0, 250, 1, 400])[Symbol.asyncIterator]());
    const got: Buffer[] = [];
    for (const n of [2, 5, 300, 1, 0, 600, 100]) {
      await r.fill(n);
      got.push(Buffer.from(r.take(n)));
    }
    expect(Buffer.concat(got)).toEqual(src.subarray(0, 1000));
    expect(r.consumed).toBe(1000);
    expect(await r.fill(1)).toBe(false);
  });

  it('readLine() finds a line split over many pieces and leaves the rest readable', async () => {
    const src = Buffer.concat([Buffer.from('age-encryption.org/v1\n-> X25519 abc\n'), randomBytes(100)]);
    const r = new ByteReader(pieces(src, [1, 2, 3])[Symbol.asyncIterator]());
    expect((await r.readLine(64))?.toString()).toBe('age-encryption.org/v1');
    expect((await r.readLine(64))?.toString()).toBe('-> X25519 abc');
    await r.fill(100);
    expect(r.take(100)).toEqual(src.subarray(src.length - 100));
  });
  it('readLine() copies no more than it must: 4,000 header lines from one 1 MiB read are sliced, not re-joined per line', async () => {
    const lines = Buffer.from('-> X25519 aaaa\n'.repeat(4000));
    const src = Buffer.concat([lines, randomBytes((1 << 20) - lines.length)]);
    const r = new ByteReader(pieces(src, [1 << 20])[Symbol.asyncIterator]());
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      for (let i = 0; i < 4000; i++) expect((await r.readLine(100))?.toString()).toBe('-> X25519 aaaa');
      const copied = concat.mock.calls.reduce((n, [list]) => n + (list as Uint8Array[]).reduce((m, b) => m + b.length, 0), 0);
      expect(copied).toBeLessThan(2 << 20); // the old join copied the whole read per line: ~4 GiB
    } finally {
      concat.mockRestore();
    }
  });
});

describe('streaming decryption from pieces (a store stream)', () => {
  for (const sizes of [[1], [7, 65_551], [262_144], [65_552], [100_000, 0, 3]]) {
    it(`a bundle read in pieces of ${sizes.join('/')} bytes decrypts to the same content`, async () => {
      const pt = randomBytes(sizes[0] === 1 ? 70_000 : 300_000);
      writeFileSync(join(w.dir, 'pt'), pt);
      const out = join(w.dir, 'pieces.age');
      await encryptBundle({
        input: join(w.dir, 'pt'),
        output: out,
        recipients: [w.id.recipient],
        meta: { patient: w.patient.address, author: w.author.address, type: 'lab-result', createdAt: 1_700_000_000 },
        signer: w.author,
      });
      const res = await decryptBundle({
        input: pieces(readFileSync(out), sizes),
        output: join(w.dir, 'pieces.out'),
        identities: [w.id.identity],
      });
      expect(res.signed).toBe(true);
      expect(readFileSync(join(w.dir, 'pieces.out')).equals(pt)).toBe(true);
    }, 60_000);
  }
});

describe('fileSink (write-behind)', () => {
  it('writes every piece in order across several batches, visible only after commit', async () => {
    const target = join(w.dir, 'sink.bin');
    const s = await fileSink(target);
    const parts = Array.from({ length: 70 }, (_, i) => randomBytes(1 + ((i * 37_337) % 100_000)));
    for (const p of parts) await s.write(p);
    expect(existsSync(target)).toBe(false);
    await s.commit();
    // Buffer.equals: vitest's deep toEqual walks megabytes element by element.
    expect(readFileSync(target).equals(Buffer.concat(parts))).toBe(true);
  });

  // A real full filesystem (test/helpers/tmpfs.ts): 1 MiB, so the third batch cannot fit.
  const { dir: full, mounted } = tinyTmpfs('1m');

  it.skipIf(!mounted)(
    'a batch that fails in the background (ENOSPC) surfaces at the next write or commit, and abort leaves no file',
    async () => {
      const s = await fileSink(join(full, 'x.bin'));
      let failed: unknown;
      try {
        for (let i = 0; i < 8; i++) await s.write(randomBytes(512 << 10));
        await s.commit();
      } catch (e) {
        failed = e;
      }
      expect((failed as NodeJS.ErrnoException | undefined)?.code).toBe('ENOSPC');
      await s.abort();
      expect(readdirSync(full)).toEqual([]);
    },
  );
});
