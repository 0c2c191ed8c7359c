// Issue 8 "Beyond the list": a mutation fuzzer over real record bundles and key-delivery
// objects. Each case flips, truncates, extends or splices the bytes of a genuine object
// and opens it the way fetch / decrypt / a grantee would. Properties: the only outcome
// besides success on unchanged bytes is a typed INTEGRITY error (exit 4); no plaintext
// file and no temporary file remain; nothing crashes. Bounded: a few hundred cases
// in-process (each run is bounded by the test timeout), a handful through the binary.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Wallet } from 'ethers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptBundle, encryptBundle } from '../../src/crypto/bundle.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { IntegrityError, isEmrError } from '../../src/errors.js';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/ipfs/embedded.js';
import { openKeyDelivery, publishKeyDelivery } from '../../src/records/key-delivery.js';
import { emr } from '../helpers/cli.js';
import { patternBytes, tempDir } from './helpers.js';

const author = new Wallet('0x' + '33'.repeat(32));
const patient = new Wallet('0x' + '44'.repeat(32));
const grantee = new Wallet('0x' + '55'.repeat(32));
const id = generateIdentity();
const meta = { patient: patient.address, author: author.address, type: 'lab', title: 'CBC', fileName: 'cbc.txt', createdAt: 1_700_000_000 };

let dir: string;
let cleanup: () => void;
let bundle: Buffer; // > 64 KiB: several STREAM chunks
let small: Buffer; // one chunk
let store: EmbeddedStore;
let delivery: Buffer;

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function sealBundle(pt: Buffer): Promise<Buffer> {
  const sink = new PassThrough();
  const done = collect(sink);
  await encryptBundle({ input: Readable.from([pt]), output: sink, recipients: [id.recipient], meta, signer: author });
  sink.end();
  return done;
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  bundle = await sealBundle(patternBytes(150_000, 13, 1));
  small = await sealBundle(Buffer.from('K+ 4.1 mmol/L'));
  store = await openEmbeddedStore({ dir: join(dir, 'ipfs') });
  const { cid } = await publishKeyDelivery(
    store,
    {
      patient: patient.address,
      grantee: grantee.address,
      keys: [{ id: '7', cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', fileKey: new Uint8Array(16).fill(9) }],
    },
    id.recipient,
  );
  delivery = await collect(store.cat(cid));
}, 60_000);
afterAll(async () => {
  await store.close();
  cleanup();
});

/** One mutation of `base`: flip a bit, truncate, extend, or splice a slice elsewhere. */
const mutation = (len: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(len - 1), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(len - 1) }),
    fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 70_000 }) }),
    fc.record({ kind: fc.constant('splice' as const), from: fc.nat(len - 1), to: fc.nat(len - 1), n: fc.integer({ min: 1, max: 70_000 }) }),
  );
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; extra: Uint8Array }
  | { kind: 'splice'; from: number; to: number; n: number };

function apply(base: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(base);
  switch (m.kind) {
    case 'flip':
      b[m.at] = b[m.at]! ^ (1 << m.bit);
      return b;
    case 'truncate':
      return b.subarray(0, m.at);
    case 'extend':
      return Buffer.concat([b, m.extra]);
    case 'splice': {
      const piece = base.subarray(m.from, m.from + m.n);
      return Buffer.concat([b.subarray(0, m.to), piece, b.subarray(m.to + piece.length)]);
    }
  }
}

/** Decrypts to a file in a fresh directory: on failure the directory must stay empty. */
async function openToFile(bytes: Buffer, n: number): Promise<void> {
  const d = join(dir, `case-${n}`);
  mkdirSync(d);
  try {
    await decryptBundle({ input: Readable.from([bytes]), output: join(d, 'out'), identities: [id.identity] });
    expect(readdirSync(d)).toEqual(['out']);
    throw new Error('unreachable: a changed bundle opened');
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e; // a crash or an untyped error fails the property
    expect(readdirSync(d)).toEqual([]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

describe('mutation fuzzer (issue 8, adversarial suite)', () => {
  let n = 0;
  it('mutated record bundles (multi-chunk) → IntegrityError only, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(bundle.length), async (m) => {
        const bytes = apply(bundle, m);
        fc.pre(!bytes.equals(bundle));
        await openToFile(bytes, ++n);
      }),
      { numRuns: 150, seed: 0x8e1f },
    );
  }, 300_000);

  it('mutated single-chunk bundles → IntegrityError only, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(small.length), async (m) => {
        const bytes = apply(small, m);
        fc.pre(!bytes.equals(small));
        await openToFile(bytes, ++n);
      }),
      { numRuns: 150, seed: 0x8e20 },
    );
  }, 300_000);

  it('mutated key-delivery objects → a typed error (never a crash), never keys', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(delivery.length), async (m) => {
        const bytes = apply(delivery, m);
        fc.pre(!bytes.equals(delivery) && bytes.length > 0);
        const { cid } = await store.addBytes(bytes);
        try {
          await openKeyDelivery(store, cid, id.identity, { patient: patient.address, grantee: grantee.address });
          throw new Error('unreachable: a changed delivery opened');
        } catch (e) {
          expect(isEmrError(e) && (e as { code: string }).code).toBe('INTEGRITY');
        }
      }),
      { numRuns: 100, seed: 0x8e21 },
    );
  }, 300_000);

  it('through the binary: a few mutated bundles → exit 4 (3 for a stanza no identity opens), no output file, nothing on stdout with -o -', async () => {
    const idFile = join(dir, 'id.key');
    writeFileSync(idFile, id.identity + '\n');
    // A flipped bit in the recipient stanza cannot be told from a file for someone else (no
    // stanza opens, so there is no file key to check the MAC with): that is "not addressed to
    // you", ACCESS_DENIED (exit 3, issue 21 § 5); every other change is INTEGRITY (exit 4).
    // The share is base64 of a fresh ephemeral key: a fixed bit turned 6 of its 64 letters
    // into non-base64 (a malformed stanza, exit 4) and failed ~1 run in 10. The flipped bit
    // is chosen so the letter stays in the alphabet: the stanza parses, and opens for no one.
    const B64 = /^[A-Za-z0-9+/]$/;
    const shareBit = [2, 1, 0, 3].find((b) => B64.test(String.fromCharCode(bundle[40]! ^ (1 << b))))!;
    const cases: Array<[Mutation, number]> = [
      [{ kind: 'flip', at: 40, bit: shareBit }, 3], // header: the stanza's share
      [{ kind: 'flip', at: bundle.length - 20, bit: 0 }, 4], // last chunk (the trailer)
      [{ kind: 'truncate', at: bundle.length - 70_000 }, 4], // a whole chunk gone
      [{ kind: 'extend', extra: new Uint8Array([1, 2, 3]) }, 4],
      [{ kind: 'splice', from: 300, to: 70_000, n: 65_552 }, 4], // a chunk duplicated
    ];
    for (const [i, [m, code]] of cases.entries()) {
      const d = join(dir, `bin-${i}`);
      mkdirSync(d);
      writeFileSync(join(d, 'in.age'), apply(bundle, m));
      const r = await emr(['--json', 'decrypt', join(d, 'in.age'), '-i', idFile, '-o', join(d, 'out.txt')]);
      expect(r.code, `${m.kind}: ${r.stdout}`).toBe(code);
      expect(readdirSync(d)).toEqual(['in.age']);
      const s = await emr(['decrypt', join(d, 'in.age'), '-i', idFile, '-o', '-']);
      expect(s.code).toBe(code);
      expect(s.stdoutBytes.length).toBe(0); // verified before release: no plaintext at all
    }
  }, 300_000);
});
