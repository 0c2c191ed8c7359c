/** Record bundles: docs/FORMAT.md § 3–5, each MUST with a test. */

import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { TypedDataEncoder, verifyTypedData, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { encryptFile } from '../../src/crypto/age-file.js';
import { decryptBundle, encryptBundle, verifyBundle } from '../../src/crypto/bundle.js';
import { BUNDLE_MAGIC, encodeMetadata, MAX_METADATA_SIZE, parseMetadata, TRAILER_SIZE } from '../../src/crypto/bundle-format.js';
import { bundleDomain, EIP712_TYPES, eip712Value } from '../../src/crypto/bundle-signature.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { IntegrityError, UsageError } from '../../src/errors.js';
import { AGE_BIN, age, bundleWorld, filesIn, patternBytes } from './helpers.js';

const w = bundleWorld();
const { author, patient, id } = w;
const meta = {
  patient: patient.address,
  author: author.address,
  type: 'lab-result',
  title: 'CBC',
  fileName: 'cbc.pdf',
  mediaType: 'application/pdf',
  createdAt: 1_700_000_000,
};
const content = (n: number) => patternBytes(n, 7, 3);

async function seal(
  pt: Buffer,
  o: { signer?: Wallet; domain?: { chainId?: bigint | number; verifyingContract?: string }; out?: string } = {},
) {
  writeFileSync(join(w.dir, 'pt'), pt);
  const out = o.out ?? join(w.dir, 'b.age');
  const r = await encryptBundle({
    input: join(w.dir, 'pt'),
    output: out,
    recipients: [id.recipient],
    meta,
    signer: o.signer ?? author,
    domain: o.domain,
  });
  return { r, ct: readFileSync(out) };
}

async function open(ct: Buffer): Promise<{ res?: Awaited<ReturnType<typeof decryptBundle>>; err?: unknown; out?: Buffer }> {
  writeFileSync(join(w.dir, 'in.age'), ct);
  rmSync(join(w.dir, 'out.bin'), { force: true });
  const before = filesIn(w.dir).filter((f) => f !== 'out.bin');
  try {
    const res = await decryptBundle({ input: join(w.dir, 'in.age'), output: join(w.dir, 'out.bin'), identities: [id.identity] });
    return { res, out: readFileSync(join(w.dir, 'out.bin')) };
  } catch (err) {
    expect(filesIn(w.dir).filter((f) => f !== 'out.bin')).toEqual(before); // no temp file left
    return { err };
  }
}

describe('record bundle', () => {
  it.each([0, 1, 65536 - 200, 65536, 200_000])('round-trips and reports the verified author (%i bytes)', async (n) => {
    const { r } = await seal(content(n), { domain: { chainId: 31337, verifyingContract: '0x' + 'ab'.repeat(20) } });
    expect(r.sha256).toBe(createHash('sha256').update(content(n)).digest('hex'));
    expect(r.size).toBe(n);
    const { res, out } = await open(readFileSync(join(w.dir, 'b.age')));
    expect(out!.equals(content(n))).toBe(true);
    expect(res).toMatchObject({ signed: true, author: author.address, signatureValid: true, sha256: r.sha256, size: n });
    expect(res!.signed && res!.domain.chainId).toBe(31337n);
  });

  it('the signature verifies independently with ethers.verifyTypedData (online and offline domains)', async () => {
    for (const domain of [undefined, { chainId: 1n, verifyingContract: '0x' + 'cd'.repeat(20) }]) {
      const { r } = await seal(content(1234), { domain });
      const d: Record<string, unknown> = { name: 'emr', version: '1' };
      if (domain) Object.assign(d, domain);
      const value = {
        version: 1,
        patient: patient.address,
        author: author.address,
        recordType: 'lab-result',
        title: 'CBC',
        fileName: 'cbc.pdf',
        mediaType: 'application/pdf',
        createdAt: 1_700_000_000,
        size: 1234,
        contentHash: '0x' + r.sha256,
      };
      expect(verifyTypedData(d, EIP712_TYPES, value, r.signature)).toBe(author.address);
      expect(TypedDataEncoder.hash(d, EIP712_TYPES, value)).toBe(
        TypedDataEncoder.hash(bundleDomain(r.metadata), EIP712_TYPES, eip712Value(r.metadata, 1234n, Buffer.from(r.sha256, 'hex'))),
      );
    }
  });

  it('age -d opens a bundle: the plaintext is the bundle bytes (magic, metadata, content, trailer)', async () => {
    if (!AGE_BIN) return expect.soft(AGE_BIN, 'age CLI missing: skipped').toBeNull();
    const { r } = await seal(content(5000));
    writeFileSync(join(w.dir, 'id'), `${id.identity}\n`);
    const pt = age(['-d', '-i', join(w.dir, 'id'), join(w.dir, 'b.age')]).stdout;
    expect(pt.subarray(0, BUNDLE_MAGIC.length).equals(BUNDLE_MAGIC)).toBe(true);
    const L = pt.readUInt32BE(BUNDLE_MAGIC.length);
    expect(parseMetadata(pt.subarray(18, 18 + L))).toEqual(r.metadata);
    expect(pt.subarray(18 + L, pt.length - TRAILER_SIZE).equals(content(5000))).toBe(true);
    const t = pt.subarray(pt.length - TRAILER_SIZE);
    expect(t.subarray(0, 32).toString('hex')).toBe(r.sha256);
    expect(t.readBigUInt64BE(32)).toBe(5000n);
    expect('0x' + t.subarray(40).toString('hex')).toBe(r.signature);
  });

  it('a plain age file decrypts and is reported unsigned', async () => {
    writeFileSync(join(w.dir, 'plain'), 'just text');
    await encryptFile({ recipients: [id.recipient], input: join(w.dir, 'plain'), output: join(w.dir, 'plain.age') });
    const { res, out } = await open(readFileSync(join(w.dir, 'plain.age')));
    expect(res).toEqual({ signed: false, sha256: createHash('sha256').update('just text').digest('hex'), size: 9 });
    expect(out!.toString()).toBe('just text');
  });

  it('every single-byte flip (header and payload) → IntegrityError and no output file', async () => {
    const { ct } = await seal(content(300));
    for (let i = 0; i < ct.length; i++) {
      const bad = Buffer.from(ct);
      bad[i]! ^= 0x01;
      const { err } = await open(bad);
      expect(err, `flip at ${i}`).toBeInstanceOf(IntegrityError);
      expect(filesIn(w.dir)).not.toContain('out.bin');
    }
  }, 300_000);

  /** Builds a bundle by hand (sign-then-encrypt with a chosen trailer) to test the checks after decryption. */
  async function craft(mutate: (p: { prefix: Buffer; body: Buffer; sha: Buffer; size: bigint; sig: Buffer }) => void, signer = author) {
    const m = parseMetadata(encodeMetadata({ v: 1, ...meta, patient: patient.address, author: author.address }).subarray(18));
    const body = content(1000);
    const sha = createHash('sha256').update(body).digest();
    const sig = Buffer.from((await signer.signTypedData(bundleDomain(m), EIP712_TYPES, eip712Value(m, 1000n, sha))).slice(2), 'hex');
    const p = { prefix: encodeMetadata(m), body, sha, size: 1000n, sig };
    mutate(p);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(p.size);
    writeFileSync(join(w.dir, 'crafted'), Buffer.concat([p.prefix, p.body, p.sha, size, p.sig]));
    await encryptFile({ recipients: [id.recipient], input: join(w.dir, 'crafted'), output: join(w.dir, 'crafted.age') });
    return open(readFileSync(join(w.dir, 'crafted.age')));
  }

  it('accepts the hand-crafted control bundle', async () => {
    const { res } = await craft(() => undefined);
    expect(res).toMatchObject({ signed: true, author: author.address });
  });

  it.each([
    ['a signature by another key', async () => craft(() => undefined, new Wallet('0x' + '33'.repeat(32)))],
    ['a wrong content hash', async () => craft((p) => (p.sha[0]! ^= 1))],
    ['a wrong size', async () => craft((p) => (p.size = 999n))],
    ['content changed after signing', async () => craft((p) => (p.body[10]! ^= 1))],
    ['a corrupted signature', async () => craft((p) => (p.sig[64] = 99))],
    ['a truncated trailer', async () => craft((p) => (p.sig = p.sig.subarray(0, 60)))],
    ['metadata length beyond the bound', async () => craft((p) => p.prefix.writeUInt32BE(MAX_METADATA_SIZE + 1, 14))],
    ['metadata length zero', async () => craft((p) => p.prefix.writeUInt32BE(0, 14))],
    [
      'non-canonical metadata (whitespace)',
      async () =>
        craft((p) => {
          const json = p.prefix.subarray(18).toString().replace('{', '{ ');
          const len = Buffer.alloc(4);
          len.writeUInt32BE(Buffer.byteLength(json));
          p.prefix = Buffer.concat([BUNDLE_MAGIC, len, Buffer.from(json)]);
        }),
    ],
    [
      'metadata with an unknown field',
      async () =>
        craft((p) => {
          const json = p.prefix.subarray(18).toString().replace('{', '{"zz":1,');
          const len = Buffer.alloc(4);
          len.writeUInt32BE(Buffer.byteLength(json));
          p.prefix = Buffer.concat([BUNDLE_MAGIC, len, Buffer.from(json)]);
        }),
    ],
    ['metadata that is not JSON', async () => craft((p) => p.prefix.write('!', 18))],
    [
      'magic only (truncated bundle)',
      async () =>
        craft((p) => {
          p.prefix = BUNDLE_MAGIC;
          p.body = Buffer.alloc(0);
          p.sha = Buffer.alloc(0);
          p.sig = Buffer.alloc(0);
        }),
    ],
  ] as const)('rejects %s with IntegrityError and no output', async (_n, run) => {
    const { err } = await run();
    expect(err).toBeInstanceOf(IntegrityError);
    expect(filesIn(w.dir)).not.toContain('out.bin');
  });

  it('rejects bad inputs at encryption with UsageError (signer ≠ author, bad address, oversize metadata)', async () => {
    writeFileSync(join(w.dir, 'pt'), 'x');
    const base = { input: join(w.dir, 'pt'), output: join(w.dir, 'u.age'), recipients: [id.recipient], signer: author };
    await expect(encryptBundle({ ...base, signer: patient, meta })).rejects.toBeInstanceOf(UsageError);
    await expect(encryptBundle({ ...base, meta: { ...meta, patient: '0x1234' } })).rejects.toBeInstanceOf(UsageError);
    await expect(encryptBundle({ ...base, meta: { ...meta, title: 'x'.repeat(MAX_METADATA_SIZE) } })).rejects.toBeInstanceOf(UsageError);
    await expect(encryptBundle({ ...base, meta: { ...meta, type: '' } })).rejects.toBeInstanceOf(UsageError);
    expect(filesIn(w.dir)).not.toContain('u.age');
  });

  it('streams: stdin-like input, stdout-like output, and verifyBundle writes nothing', async () => {
    const chunks: Buffer[] = [];
    await encryptBundle({
      input: Readable.from([content(70000)]),
      output: new Writable({ write: (b, _e, cb) => (chunks.push(b), cb()) }),
      recipients: [id.recipient],
      meta,
      signer: author,
    });
    const ct = Buffer.concat(chunks);
    const res = await verifyBundle({ input: Readable.from([ct]), identities: [id.identity] });
    expect(res).toMatchObject({ signed: true, size: 70000 });
  });

  it('a bundle for someone else → IntegrityError (not addressed)', async () => {
    writeFileSync(join(w.dir, 'pt'), 'x');
    await encryptBundle({
      input: join(w.dir, 'pt'),
      output: join(w.dir, 'else.age'),
      recipients: [generateIdentity().recipient],
      meta,
      signer: author,
    });
    const { err } = await open(readFileSync(join(w.dir, 'else.age')));
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).hint).toMatch(/not addressed/);
  });
});
