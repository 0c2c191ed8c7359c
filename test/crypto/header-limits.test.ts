// docs/FORMAT.md § 1.3: the header bounds (stanza count, header size) that keep a crafted
// header from costing seconds of CPU.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decryptFile, encryptFile } from '../../src/crypto/age-file.js';
import { encodeHeader, MAX_HEADER_SIZE, MAX_STANZAS } from '../../src/crypto/header.js';
import { generateIdentity, parseRecipient } from '../../src/crypto/identity.js';
import { asFileKey } from '../../src/crypto/keys.js';
import { wrapForRecipients } from '../../src/crypto/recipients.js';
import { wrapX25519 } from '../../src/crypto/x25519-stanza.js';
import { IntegrityError, UsageError } from '../../src/errors.js';
import { emr } from '../helpers/cli.js';
import { AGE_BIN, age, ageKeygen, tempDir } from './helpers.js';

/** A header of `n` X25519 stanzas (the last one to `me`), MAC'd with the right key, plus an empty payload. */
function fileWith(n: number, meRecipient: string): Uint8Array {
  const fileKey = asFileKey(new Uint8Array(randomBytes(16)));
  const other = parseRecipient(generateIdentity().recipient);
  const me = parseRecipient(meRecipient);
  if (other.kind !== 'x25519' || me.kind !== 'x25519') throw new Error('x25519 only');
  const stanzas = Array.from({ length: n - 1 }, () => wrapX25519(fileKey, other.publicKey));
  stanzas.push(wrapX25519(fileKey, me.publicKey));
  return Buffer.concat([encodeHeader(stanzas, fileKey), randomBytes(16 + 16)]);
}

async function open(bytes: Uint8Array, identity: string): Promise<unknown> {
  try {
    const sink = new (await import('node:stream')).PassThrough();
    sink.resume();
    await decryptFile({ identities: [identity], input: Readable.from([bytes]), output: sink });
    return null;
  } catch (e) {
    return e;
  }
}

describe('FORMAT.md § 1.3 header bounds', () => {
  const me = generateIdentity();

  it(`a reader MUST reject a header with more than ${MAX_STANZAS} stanzas before unwrapping any`, async () => {
    const e = await open(fileWith(MAX_STANZAS + 1, me.recipient), me.identity);
    expect(e).toBeInstanceOf(IntegrityError);
    expect((e as Error).message).toMatch(new RegExp(`more than ${MAX_STANZAS} recipient stanzas`));
  });

  it(`${MAX_STANZAS} stanzas with ours last still open (only the payload is bad here)`, async () => {
    const e = await open(fileWith(MAX_STANZAS, me.recipient), me.identity);
    // The header opened (MAC verified); the random payload then fails to authenticate.
    expect((e as Error).message).not.toMatch(/stanzas|header/);
  });

  it(`a reader MUST reject a header larger than ${MAX_HEADER_SIZE} bytes`, async () => {
    const big = `age-encryption.org/v1\n-> unknown ${'a'.repeat(MAX_HEADER_SIZE)}\n\n--- ${'A'.repeat(43)}\n`;
    const e = await open(Buffer.from(big), me.identity);
    expect(e).toBeInstanceOf(IntegrityError);
  });

  it('a writer MUST NOT produce more stanzas than a reader accepts', () => {
    const r = generateIdentity().recipient;
    expect(() => wrapForRecipients(asFileKey(new Uint8Array(16)), Array(MAX_STANZAS + 1).fill(r))).toThrow(UsageError);
  });

  it('through the binary: `emr decrypt` of a crafted 10,000-stanza header exits 4 naming the bound, writes nothing', async () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'bomb.age');
      // Not the real file (10,000 X25519 wraps are slow to build): stanzas of a known type,
      // well-formed lines; the reader stops at stanza MAX_STANZAS + 1.
      const st = `-> X25519 ${'A'.repeat(43)}\n${'A'.repeat(43)}\n`;
      writeFileSync(f, `age-encryption.org/v1\n${st.repeat(10_000)}--- ${'A'.repeat(43)}\n${'x'.repeat(32)}`);
      const id = join(t.dir, 'me.key');
      writeFileSync(id, me.identity + '\n');
      const r = await emr(['--json', 'decrypt', f, '-i', id, '-o', join(t.dir, 'out')]);
      expect(r.code).toBe(4);
      expect(r.json?.error?.message).toMatch(/more than \d+ recipient stanzas/);
      expect((await import('node:fs')).readdirSync(t.dir).sort()).toEqual(['bomb.age', 'me.key']);
    } finally {
      t.cleanup();
    }
  });
});

// FORMAT.md § 1.3: Go age (filippo.io/age) has had no stanza cap since v1.0.0 (its old
// limit of 20 went in "age: remove recipient limit", May 2021), so every file emr writes —
// up to MAX_STANZAS stanzas — opens in stock `age -d`.
describe.skipIf(!AGE_BIN)('FORMAT.md § 1.3 interop at the stanza bound', () => {
  it(`stock age MUST open a file emr wrote to ${MAX_STANZAS} recipients, ours last`, async () => {
    const t = tempDir();
    try {
      const mine = ageKeygen();
      const recipients = [...Array.from({ length: MAX_STANZAS - 1 }, () => generateIdentity().recipient), mine.recipient];
      const f = join(t.dir, 'many.age');
      const { createWriteStream } = await import('node:fs');
      const out = createWriteStream(f);
      await encryptFile({ recipients, input: Readable.from([Buffer.from('128 readers\n')]), output: out });
      await new Promise((r) => out.close(r));
      const id = join(t.dir, 'mine.key');
      writeFileSync(id, `${mine.identity}\n`);
      const r = age(['-d', '-i', id, f]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe('128 readers\n');
    } finally {
      t.cleanup();
    }
  });
});
