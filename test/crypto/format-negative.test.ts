/**
 * Negative vectors for age.md parsing rules and STREAM (age.md § "Header", § "Payload").
 * Each case mutates a valid file and expects IntegrityError and no output file.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, encryptFile } from '../../src/crypto/age-file.js';
import { encodeMetadata, parseMetadata } from '../../src/crypto/bundle-format.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { IntegrityError } from '../../src/errors.js';
import { filesIn, patternBytes, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

const id = generateIdentity();
const data = (n: number) => patternBytes(n, 13, 1);

async function encryptBytes(pt: Buffer): Promise<Buffer> {
  writeFileSync(join(dir, 'in'), pt);
  await encryptFile({ recipients: [id.recipient], input: join(dir, 'in'), output: join(dir, 'enc') }, { path: 'stream' });
  return readFileSync(join(dir, 'enc'));
}

/** Decrypts through both paths; returns the plaintext or the error, asserting no stray files on error. */
async function tryDecrypt(ct: Buffer, path: 'stream' | 'parallel' = 'stream'): Promise<Buffer | Error> {
  writeFileSync(join(dir, 'ct'), ct);
  const before = filesIn(dir).filter((f) => f !== 'out');
  try {
    await decryptFile({ identities: [id.identity], input: join(dir, 'ct'), output: join(dir, 'out') }, { path });
    return readFileSync(join(dir, 'out'));
  } catch (e) {
    expect(filesIn(dir).filter((f) => f !== 'out')).toEqual(before);
    return e as Error;
  }
}

async function expectIntegrity(ct: Buffer, paths: ('stream' | 'parallel')[] = ['stream', 'parallel']): Promise<void> {
  for (const p of paths) {
    const r = await tryDecrypt(ct, p);
    expect(r, `path ${p}`).toBeInstanceOf(IntegrityError);
  }
}

const split = (ct: Buffer) => {
  const i = ct.indexOf('\n--- ') + 1;
  const j = ct.indexOf('\n', i) + 1;
  return { header: ct.subarray(0, i).toString('latin1'), macLine: ct.subarray(i, j).toString('latin1'), payload: ct.subarray(j) };
};

describe('header parsing (age.md § Header)', () => {
  let ct: Buffer;
  beforeAll(async () => {
    ct = await encryptBytes(data(100));
  });
  const rebuild = (header: string, macLine: string, payload: Buffer) => Buffer.concat([Buffer.from(header + macLine, 'latin1'), payload]);

  it('accepts the unmodified file', async () => {
    expect(await tryDecrypt(ct)).toEqual(data(100));
  });

  const mutations: [string, (h: string, m: string) => [string, string]][] = [
    ['bad version line', (h, m) => [h.replace('age-encryption.org/v1', 'age-encryption.org/v2'), m]],
    ['version line with CRLF', (h, m) => [h.replace('age-encryption.org/v1\n', 'age-encryption.org/v1\r\n'), m]],
    ['missing MAC line', (h, _m) => [h, '']],
    ['MAC line without space', (h, m) => [h, m.replace('--- ', '---')]],
    ['MAC line with extra space', (h, m) => [h, m.replace('--- ', '---  ')]],
    ['MAC with trailing space', (h, m) => [h, m.replace('\n', ' \n')]],
    ['MAC not canonical base64', (h, m) => [h, m.slice(0, -2) + String.fromCharCode(m.charCodeAt(m.length - 2) ^ 1) + '\n']],
    ['MAC truncated', (h, m) => [h, `${m.slice(0, -6)}\n`]],
    ['MAC with padding', (h, m) => [h, m.replace('\n', '=\n')]],
    ['no stanzas', (_h, m) => ['age-encryption.org/v1\n', m]],
    ['stanza with empty argument', (h, m) => [h.replace('-> X25519 ', '-> X25519  '), m]],
    ['stanza with no arguments', (h, m) => [h.replace(/-> X25519 \S+\n/, '->\n'), m]],
    ['stanza argument with a CR', (h, m) => [h.replace(/(-> X25519 \S+)\n/, '$1\r\n'), m]],
    ['stanza argument with non-ASCII', (h, m) => [h.replace('-> X25519 ', '-> X25519\xe9 '), m]],
    ['stanza body not canonical (padding)', (h, m) => [h.replace(/\n([A-Za-z0-9+/]{43})\n$/, '\n$1=\n'), m]],
    ['stanza body line too long', (h, m) => [h.replace(/\n([A-Za-z0-9+/]{43})\n$/, '\n$1AAAAAAAAAAAAAAAAAAAAAAAAA\n'), m]],
    ['stanza body with a full line and no final line', (h, m) => [h.replace(/\n([A-Za-z0-9+/]{43})\n$/, `\n$1${'A'.repeat(21)}\n`), m]],
    ['stanza body missing', (h, m) => [h.replace(/\n([A-Za-z0-9+/]{43})\n$/, '\n'), m]],
    ['X25519 stanza with an extra argument', (h, m) => [h.replace(/(-> X25519 \S+)/, '$1 extra'), m]],
    [
      'X25519 share not canonical',
      (h, m) => [h.replace(/(-> X25519 \S{42})(\S)/, (_s, a: string, c: string) => a + String.fromCharCode(c.charCodeAt(0) ^ 1)), m],
    ],
    ['X25519 share all zero (low order)', (h, m) => [h.replace(/-> X25519 \S+/, `-> X25519 ${'A'.repeat(43)}`), m]],
    ['unknown line instead of stanza', (h, m) => [h.replace('-> X25519', '-< X25519'), m]],
  ];
  it.each(mutations)('rejects: %s', async (_name, f) => {
    const { header, macLine, payload } = split(ct);
    const [h, m] = f(header, macLine);
    expect(h + m).not.toBe(header + macLine);
    await expectIntegrity(rebuild(h, m, payload), ['stream']);
  });

  it('ignores an unknown stanza type but then fails the MAC (it is covered by the MAC)', async () => {
    const { header, macLine, payload } = split(ct);
    const h = header.replace('age-encryption.org/v1\n', 'age-encryption.org/v1\n-> example.com/unknown a b\nAAAA\n');
    const r = await tryDecrypt(rebuild(h, macLine, payload));
    expect(r).toBeInstanceOf(IntegrityError);
    expect((r as Error).message).toMatch(/MAC/);
  });

  it('accepts a header with an unknown stanza when the MAC is right (typage-encoded)', async () => {
    const { encodeHeader } = await import('../../src/crypto/header.js');
    const { wrapForRecipients } = await import('../../src/crypto/recipients.js');
    const { generateFileKey } = await import('../../src/crypto/keys.js');
    const { payloadKey, sealChunk } = await import('../../src/crypto/stream.js');
    const fk = generateFileKey();
    const stanzas = [{ args: ['example.com/unknown', 'x'], body: new Uint8Array(48) }, ...wrapForRecipients(fk, [id.recipient])];
    const nonce = new Uint8Array(16);
    const file = Buffer.concat([encodeHeader(stanzas, fk), nonce, sealChunk(payloadKey(fk, nonce), 0, true, Buffer.from('hi'))]);
    expect(file.toString('latin1')).toContain('-> example.com/unknown x\n' + 'A'.repeat(64) + '\n\n');
    expect(await tryDecrypt(file)).toEqual(Buffer.from('hi'));
  });

  it('a file for someone else → IntegrityError with the "not addressed" hint', async () => {
    const other = generateIdentity();
    writeFileSync(join(dir, 'in'), 'secret');
    await encryptFile({ recipients: [other.recipient], input: join(dir, 'in'), output: join(dir, 'other') });
    const r = await tryDecrypt(readFileSync(join(dir, 'other')));
    expect(r).toBeInstanceOf(IntegrityError);
    expect((r as IntegrityError).hint).toMatch(/not addressed/);
  });

  it('garbage and empty inputs', async () => {
    await expectIntegrity(Buffer.alloc(0), ['stream']);
    await expectIntegrity(Buffer.from('hello world\n'), ['stream']);
    await expectIntegrity(Buffer.alloc(3 << 20, 0x41), ['stream']); // no newline: bounded read
  });
});

describe('FORMAT.md 1.3: a malformed mlkem768x25519 stanza MUST be an error, not skipped', () => {
  const pq = generateIdentity('mlkem768x25519');
  let ct: Buffer;
  beforeAll(async () => {
    writeFileSync(join(dir, 'in-pq'), data(100));
    await encryptFile({ recipients: [pq.recipient], input: join(dir, 'in-pq'), output: join(dir, 'enc-pq') }, { path: 'stream' });
    ct = readFileSync(join(dir, 'enc-pq'));
  });

  async function decryptPq(file: Buffer): Promise<Buffer | Error> {
    writeFileSync(join(dir, 'ct-pq'), file);
    const before = filesIn(dir).filter((f) => f !== 'out-pq');
    try {
      await decryptFile({ identities: [pq.identity], input: join(dir, 'ct-pq'), output: join(dir, 'out-pq') }, { path: 'stream' });
      return readFileSync(join(dir, 'out-pq'));
    } catch (e) {
      expect(filesIn(dir).filter((f) => f !== 'out-pq')).toEqual(before);
      return e as Error;
    }
  }

  it('accepts the unmodified file', async () => {
    expect(ct.toString('latin1')).toMatch(/\n-> mlkem768x25519 [A-Za-z0-9+/]{1494}\n/);
    expect(await decryptPq(ct)).toEqual(data(100));
  });

  const flipLast = (a: string) => a.slice(0, -1) + String.fromCharCode(a.charCodeAt(a.length - 1) ^ 1);
  const pqMutations: [string, (h: string) => string][] = [
    ['an extra argument', (h) => h.replace(/(-> mlkem768x25519 \S+)/, '$1 extra')],
    ['no share argument', (h) => h.replace(/-> mlkem768x25519 \S+/, '-> mlkem768x25519')],
    [
      'a share 3 bytes short (1117 of 1120)',
      (h) => h.replace(/(-> mlkem768x25519 )(\S+)/, (_s, p: string, a: string) => p + a.slice(0, -4)),
    ],
    ['a share that is not canonical base64', (h) => h.replace(/(-> mlkem768x25519 )(\S+)/, (_s, p: string, a: string) => p + flipLast(a))],
    ['a body of 16 bytes instead of 32', (h) => h.replace(/\n([A-Za-z0-9+/]{43})\n$/, `\n${'A'.repeat(22)}\n`)],
  ];
  it.each(pqMutations)('rejects %s: IntegrityError naming the stanza (not "not addressed", not the MAC)', async (_name, f) => {
    const { header, macLine, payload } = split(ct);
    const h = f(header);
    expect(h).not.toBe(header);
    const r = await decryptPq(Buffer.concat([Buffer.from(h + macLine, 'latin1'), payload]));
    expect(r).toBeInstanceOf(IntegrityError);
    expect((r as Error).message).toMatch(/malformed mlkem768x25519 stanza/);
  });
});

describe('FORMAT.md 3.2: readers MUST reject wrongly typed metadata fields', () => {
  const good = {
    v: 1 as const,
    author: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
    patient: '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    type: 'lab',
    title: 'CBC',
    fileName: 'cbc.pdf',
    mediaType: 'application/pdf',
    createdAt: 1_700_000_000,
    chainId: '31337',
    verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  };
  /** The canonical metadata bytes (§ 3.2: keys in code-point order, no whitespace) with `patch` applied in place. */
  const bytesWith = (patch: Record<string, unknown>) => {
    const obj = JSON.parse(encodeMetadata(good).subarray(18).toString('utf8'));
    for (const [k, v] of Object.entries(patch)) obj[k] = v;
    return Buffer.from(JSON.stringify(obj), 'utf8');
  };

  it('accepts the well-typed metadata', () => {
    expect(parseMetadata(bytesWith({}))).toMatchObject(good);
  });

  const wrong: [string, Record<string, unknown>][] = [
    ['createdAt as a string', { createdAt: '1700000000' }],
    ['createdAt as a fraction', { createdAt: 1.5 }],
    ['createdAt negative', { createdAt: -1 }],
    ['author as a number', { author: 1234 }],
    ['patient as null', { patient: null }],
    ['patient lower-case (not checksummed)', { patient: good.patient.toLowerCase() }],
    ['type as an array', { type: ['lab'] }],
    ['type as a number', { type: 7 }],
    ['type empty', { type: '' }],
    ['v as a string', { v: '1' }],
    ['title as a number', { title: 5 }],
    ['fileName as an object', { fileName: {} }],
    ['mediaType as a boolean', { mediaType: true }],
    ['title longer than 4096 characters', { title: 'x'.repeat(4097) }],
    ['chainId as a number', { chainId: 31337 }],
    ['chainId with a leading zero', { chainId: '031337' }],
    ['verifyingContract as a number', { verifyingContract: 0 }],
  ];
  it.each(wrong)('rejects %s (IntegrityError)', (_name, patch) => {
    expect(() => parseMetadata(bytesWith(patch))).toThrow(IntegrityError);
  });

  const wrongV2: [string, Record<string, unknown>][] = [
    ['supersedes as a number', { supersedes: 12 }],
    ['careDate as a number', { careDate: 20240101 }],
    ['facility as an array', { facility: ['ward'] }],
    ['mrn empty', { mrn: '' }],
    ['fhir as a number', { fhir: 4 }],
  ];
  const v2 = (patch: Record<string, unknown>) => {
    const base = JSON.parse(bytesWith({ v: 2 }).toString('utf8'));
    const all = { ...base, supersedes: '12', careDate: '2024-01-01', facility: 'ward', mrn: '123', fhir: '4.0.1', ...patch };
    return Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)))), 'utf8');
  };
  it('accepts well-typed version-2 fields', () => {
    expect(parseMetadata(v2({}))).toMatchObject({ v: 2, supersedes: '12', careDate: '2024-01-01' });
  });
  it.each(wrongV2)('rejects version-2 %s (IntegrityError)', (_name, patch) => {
    expect(() => parseMetadata(v2(patch))).toThrow(IntegrityError);
  });
});

describe('STREAM payload (age.md § Payload)', () => {
  const C = 65536 + 16;
  const cases = [0, 1, 65535, 65536, 65537, 2 * 65536, 2 * 65536 + 1, 3 * 65536 - 1];

  it.each(cases)('truncation at and between chunk boundaries is detected (%i bytes)', async (n) => {
    const ct = await encryptBytes(data(n));
    const { payload } = split(ct);
    const headerLen = ct.length - payload.length;
    const cuts = new Set<number>([
      0,
      1,
      15,
      16,
      17,
      16 + C - 1,
      16 + C,
      16 + C + 1,
      16 + 2 * C,
      payload.length - 1,
      payload.length - 16,
      payload.length - 17,
    ]);
    for (const cut of cuts) {
      if (cut < 0 || cut >= payload.length) continue;
      await expectIntegrity(ct.subarray(0, headerLen + cut));
    }
  });

  it('trailing data, swapped chunks, an appended empty final chunk are detected', async () => {
    const ct = await encryptBytes(data(3 * 65536 + 5));
    const { payload } = split(ct);
    const h = ct.subarray(0, ct.length - payload.length);
    const nonce = payload.subarray(0, 16);
    const chunks = [0, 1, 2, 3].map((i) => payload.subarray(16 + i * C, 16 + (i + 1) * C));
    await expectIntegrity(Buffer.concat([ct, Buffer.from([0])]));
    await expectIntegrity(Buffer.concat([ct, ct.subarray(ct.length - 20)]));
    await expectIntegrity(Buffer.concat([h, nonce, chunks[1]!, chunks[0]!, chunks[2]!, chunks[3]!]));
    await expectIntegrity(Buffer.concat([h, nonce, chunks[0]!, chunks[2]!, chunks[1]!, chunks[3]!]));
    await expectIntegrity(Buffer.concat([h, nonce, chunks[0]!, chunks[1]!, chunks[3]!]));
  });

  it('rejects an empty final chunk after a full chunk, accepts a full final chunk', async () => {
    const { encodeHeader } = await import('../../src/crypto/header.js');
    const { wrapForRecipients } = await import('../../src/crypto/recipients.js');
    const { generateFileKey } = await import('../../src/crypto/keys.js');
    const { payloadKey, sealChunk } = await import('../../src/crypto/stream.js');
    const fk = generateFileKey();
    const header = encodeHeader(wrapForRecipients(fk, [id.recipient]), fk);
    const nonce = new Uint8Array(16).fill(1);
    const key = payloadKey(fk, nonce);
    const full = data(65536);
    const good = Buffer.concat([header, nonce, sealChunk(key, 0, true, full)]);
    expect(await tryDecrypt(good)).toEqual(full);
    expect(await tryDecrypt(good, 'parallel')).toEqual(full);
    const emptyLast = Buffer.concat([header, nonce, sealChunk(key, 0, false, full), sealChunk(key, 1, true, new Uint8Array(0))]);
    await expectIntegrity(emptyLast);
    const noFinal = Buffer.concat([header, nonce, sealChunk(key, 0, false, full), sealChunk(key, 1, false, data(10))]);
    await expectIntegrity(noFinal);
    const lastNotLast = Buffer.concat([header, nonce, sealChunk(key, 0, true, full), sealChunk(key, 1, true, data(10))]);
    await expectIntegrity(lastNotLast);
  });

  it('round-trips any length through both paths (property)', async () => {
    const edge = fc.constantFrom(0, 1, 65535, 65536, 65537, 131071, 131072, 131073, 16 * 65536, 16 * 65536 + 1);
    await fc.assert(
      fc.asyncProperty(fc.oneof(edge, fc.nat({ max: 300_000 })), fc.boolean(), async (n, parallel) => {
        const pt = data(n);
        writeFileSync(join(dir, 'prop'), pt);
        const path = parallel ? 'parallel' : 'stream';
        await encryptFile({ recipients: [id.recipient], input: join(dir, 'prop'), output: join(dir, 'prop.age') }, { path });
        await decryptFile(
          { identities: [id.identity], input: join(dir, 'prop.age'), output: join(dir, 'prop.out') },
          { path: parallel ? 'stream' : 'parallel' },
        );
        expect(readFileSync(join(dir, 'prop.out')).equals(pt)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
