/**
 * Interop oracles: the stock `age` CLI (Debian 1.1.1, X25519 only) and age-encryption
 * 0.3.1 (typage, X25519 and the mlkem768x25519 hybrid) — both directions.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as typage from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile, encryptFile, readFileKey } from '../../src/crypto/age-file.js';
import {
  generateIdentity,
  identityToRecipient,
  mlkem768x25519IdentityFromSeed,
  parseRecipient,
  x25519IdentityFromSecret,
} from '../../src/crypto/identity.js';
import { asFileKey } from '../../src/crypto/keys.js';
import { IntegrityError, UsageError } from '../../src/errors.js';
import { AGE_BIN, AGE_MISSING_REASON, age, ageKeygen, filesIn, patternBytes, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

const sizes = [0, 1, 65535, 65536, 65537, 3 * 65536, 200_000];
const data = (n: number) => patternBytes(n, 31, 7);

describe('identities and recipients', () => {
  it('x25519 identity from a fixed secret matches age-encryption and age-keygen -y', async () => {
    const secret = new Uint8Array(32).fill(0x42);
    const { identity, recipient } = x25519IdentityFromSecret(secret);
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(await typage.identityToRecipient(identity)).toBe(recipient);
    expect(identityToRecipient(identity)).toBe(recipient);
    if (AGE_BIN) {
      writeFileSync(join(dir, 'k'), `${identity}\n`);
      const { execFileSync } = await import('node:child_process');
      expect(execFileSync('/usr/bin/age-keygen', ['-y', join(dir, 'k')], { encoding: 'utf8' }).trim()).toBe(recipient);
    }
  });

  it('mlkem768x25519 identity from a fixed seed matches age-encryption', async () => {
    const { identity, recipient } = mlkem768x25519IdentityFromSeed(new Uint8Array(32).fill(7));
    expect(identity.startsWith('AGE-SECRET-KEY-PQ-1')).toBe(true);
    expect(recipient.startsWith('age1pq1')).toBe(true);
    expect(await typage.identityToRecipient(identity)).toBe(recipient);
    expect(identityToRecipient(identity)).toBe(recipient);
    // Deterministic: same seed, same keys.
    expect(mlkem768x25519IdentityFromSeed(new Uint8Array(32).fill(7)).recipient).toBe(recipient);
  });

  it('typage-generated identities convert identically', async () => {
    for (const id of [await typage.generateX25519Identity(), await typage.generateHybridIdentity()]) {
      expect(identityToRecipient(id)).toBe(await typage.identityToRecipient(id));
    }
  });

  it('rejects malformed recipients and identities with UsageError + hint, never echoing secrets', () => {
    const good = generateIdentity().recipient;
    const bad = [
      '',
      'age1',
      good.slice(0, -1),
      `${good.slice(0, -1)}${good.endsWith('q') ? 'p' : 'q'}`,
      good.toUpperCase().slice(0, 10) + good.slice(10),
      good.replace(/^age1/, 'agf1'),
      'AGE-SECRET-KEY-1QQQQ',
      'ssh-ed25519 AAAA',
    ];
    for (const b of bad) {
      let err: unknown;
      try {
        parseRecipient(b);
      } catch (e) {
        err = e;
      }
      expect(err, b).toBeInstanceOf(UsageError);
      expect((err as UsageError).hint).toBeTruthy();
    }
    const secret = generateIdentity().identity;
    let err: unknown;
    try {
      identityToRecipient(secret.slice(0, -2));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect(JSON.stringify({ m: (err as Error).message, h: (err as UsageError).hint })).not.toContain(secret.slice(16, 40));
    // An X25519 identity is not a recipient and vice versa.
    expect(() => parseRecipient(secret)).toThrow(UsageError);
    expect(() => identityToRecipient(good)).toThrow(UsageError);
  });
});

describe.skipIf(!AGE_BIN)(`stock age CLI (${AGE_BIN ? 'present' : AGE_MISSING_REASON})`, () => {
  it.each(sizes)('age -d opens our output, stream and parallel paths (%i bytes)', async (n) => {
    const id = generateIdentity();
    writeFileSync(join(dir, 'id'), `${id.identity}\n`);
    writeFileSync(join(dir, 'p'), data(n));
    for (const path of ['stream', 'parallel'] as const) {
      await encryptFile({ recipients: [id.recipient], input: join(dir, 'p'), output: join(dir, 'c') }, { path });
      const r = age(['-d', '-i', join(dir, 'id'), join(dir, 'c')]);
      expect(r.stderr).toBe('');
      expect(r.stdout.equals(data(n))).toBe(true);
    }
  });

  it.each(sizes)('our decryptFile opens age -r output (%i bytes), from a file and from a stream', async (n) => {
    const k = ageKeygen();
    const c = age(['-r', k.recipient], data(n)).stdout;
    writeFileSync(join(dir, 'c2'), c);
    for (const path of ['stream', 'parallel'] as const) {
      await decryptFile({ identities: [k.identity], input: join(dir, 'c2'), output: join(dir, 'd2') }, { path });
      expect(readFileSync(join(dir, 'd2')).equals(data(n))).toBe(true);
    }
    const chunks: Buffer[] = [];
    const sink = new (await import('node:stream')).Writable({ write: (b, _e, cb) => (chunks.push(b), cb()) });
    await decryptFile({ identities: [k.identity], input: Readable.from([c.subarray(0, 7), c.subarray(7)]), output: sink });
    expect(Buffer.concat(chunks).equals(data(n))).toBe(true);
  });

  it('multiple recipients: each opens it; a stranger gets IntegrityError and no file', async () => {
    const a = ageKeygen();
    const b = generateIdentity();
    writeFileSync(join(dir, 'p'), data(1000));
    await encryptFile({ recipients: [a.recipient, b.recipient], input: join(dir, 'p'), output: join(dir, 'multi') });
    writeFileSync(join(dir, 'ida'), `${a.identity}\n`);
    expect(age(['-d', '-i', join(dir, 'ida'), join(dir, 'multi')]).stdout.equals(data(1000))).toBe(true);
    await decryptFile({ identities: [b.identity], input: join(dir, 'multi'), output: join(dir, 'mb') });
    expect(readFileSync(join(dir, 'mb')).equals(data(1000))).toBe(true);
    const before = filesIn(dir);
    const err = await decryptFile({
      identities: [generateIdentity().identity],
      input: join(dir, 'multi'),
      output: join(dir, 'stranger'),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.hint).toMatch(/not addressed to these identities/);
    expect(filesIn(dir)).toEqual(before);
  });

  it('readFileKey + decrypt with the file key (header MAC still checked)', async () => {
    const k = ageKeygen();
    writeFileSync(join(dir, 'fk'), age(['-r', k.recipient], data(70000)).stdout);
    const fileKey = await readFileKey(join(dir, 'fk'), [k.identity]);
    expect(fileKey.length).toBe(16);
    await decryptFile({ identities: [], input: join(dir, 'fk'), output: join(dir, 'fkd'), fileKey });
    expect(readFileSync(join(dir, 'fkd')).equals(data(70000))).toBe(true);
    const wrong = Uint8Array.from(fileKey);
    wrong[0]! ^= 1;
    await expect(decryptFile({ identities: [], input: join(dir, 'fk'), output: join(dir, 'fkw'), fileKey: wrong })).rejects.toThrow(/MAC/);
    expect(filesIn(dir)).not.toContain('fkw');
  });
});

describe('age-encryption 0.3.1 (typage)', () => {
  for (const kind of ['x25519', 'mlkem768x25519'] as const) {
    it.each([0, 1, 65536, 65537, 150_000])(`${kind}: typage opens ours, we open typage's (%i bytes)`, async (n) => {
      const id = generateIdentity(kind);
      writeFileSync(join(dir, 'tp'), data(n));
      await encryptFile({ recipients: [id.recipient], input: join(dir, 'tp'), output: join(dir, 'tc') });
      const d = new typage.Decrypter();
      d.addIdentity(id.identity);
      expect(Buffer.from(await d.decrypt(readFileSync(join(dir, 'tc')))).equals(data(n))).toBe(true);

      const e = new typage.Encrypter();
      e.addRecipient(id.recipient);
      const c = await e.encrypt(data(n));
      const out = await (async () => {
        const chunks: Buffer[] = [];
        const { Writable } = await import('node:stream');
        await decryptFile({
          identities: [id.identity],
          input: Readable.from([Buffer.from(c)]),
          output: new Writable({ write: (b, _e, cb) => (chunks.push(b), cb()) }),
        });
        return Buffer.concat(chunks);
      })();
      expect(out.equals(data(n))).toBe(true);
    });
  }

  it('refuses to mix post-quantum and classic recipients (as age 1.3 does)', async () => {
    writeFileSync(join(dir, 'mx'), 'x');
    await expect(
      encryptFile({
        recipients: [generateIdentity('x25519').recipient, generateIdentity('mlkem768x25519').recipient],
        input: join(dir, 'mx'),
        output: join(dir, 'mxo'),
      }),
    ).rejects.toBeInstanceOf(UsageError);
    expect(filesIn(dir)).not.toContain('mxo');
  });
});

describe('parallel and single-thread paths', () => {
  it('produce byte-identical payloads for the same file key and nonce, and both decrypt', async () => {
    const id = generateIdentity();
    const fileKey = asFileKey(new Uint8Array(16).fill(9));
    const nonce = new Uint8Array(16).fill(3);
    for (const n of [0, 65536, 16 * 65536, 16 * 65536 + 1, 5 * 1024 * 1024 + 123]) {
      writeFileSync(join(dir, 'pp'), data(n));
      await encryptFile(
        { recipients: [id.recipient], input: join(dir, 'pp'), output: join(dir, 'p1') },
        { fileKey, nonce, path: 'stream' },
      );
      await encryptFile(
        { recipients: [id.recipient], input: join(dir, 'pp'), output: join(dir, 'p2') },
        { fileKey, nonce, path: 'parallel' },
      );
      const a = readFileSync(join(dir, 'p1'));
      const b = readFileSync(join(dir, 'p2'));
      const payloadA = a.subarray(a.indexOf('\n--- ') + 49);
      const payloadB = b.subarray(b.indexOf('\n--- ') + 49);
      expect(payloadA.length).toBe(16 + n + 16 * Math.max(1, Math.ceil(n / 65536)));
      expect(payloadA.equals(payloadB)).toBe(true);
      for (const f of ['p1', 'p2']) {
        if (AGE_BIN) {
          writeFileSync(join(dir, 'ppid'), `${id.identity}\n`);
          const r = age(['-d', '-i', join(dir, 'ppid'), join(dir, f)]);
          expect(r.stdout.equals(data(n))).toBe(true);
        }
        await decryptFile({ identities: [id.identity], input: join(dir, f), output: join(dir, 'pd') }, { path: 'parallel' });
        expect(readFileSync(join(dir, 'pd')).equals(data(n))).toBe(true);
      }
    }
  });
});
