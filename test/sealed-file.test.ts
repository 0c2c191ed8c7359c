// Local files sealed to the acting profile (src/session/sealed-file.ts): the metadata cache,
// the patient index and the sign-only delivery log share one reader, which MUST refuse a
// file sealed to another key, a file larger than its bound could make it, and a file that
// opens to more than its bound, and writes 0600 files.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '../src/crypto/identity.js';
import { readSealedFile, writeSealedFile } from '../src/session/sealed-file.js';

const dir = mkdtempSync(join(tmpdir(), 'emr-sealed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sealed local files', () => {
  const me = generateIdentity();
  const other = generateIdentity();

  it('round-trips a plaintext, written 0600', async () => {
    const f = join(dir, 'a.age');
    await writeSealedFile(f, me.recipient, Buffer.from('{"v":1}'));
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect((await readSealedFile(f, me.identity, 1024)).toString()).toBe('{"v":1}');
  });

  it('MUST refuse a file sealed to another key', async () => {
    const f = join(dir, 'b.age');
    await writeSealedFile(f, other.recipient, Buffer.from('secret'));
    await expect(readSealedFile(f, me.identity, 1024)).rejects.toThrow();
  });

  it('MUST refuse a plaintext over the bound, and a file larger than the bound could make it', async () => {
    const f = join(dir, 'c.age');
    await writeSealedFile(f, me.recipient, Buffer.alloc(200_000, 0x61));
    await expect(readSealedFile(f, me.identity, 100_000)).rejects.toThrow();
    await expect(readSealedFile(f, me.identity, 200_000)).resolves.toHaveLength(200_000);
    const big = join(dir, 'd.age');
    writeFileSync(big, Buffer.alloc(300_000));
    await expect(readSealedFile(big, me.identity, 100_000)).rejects.toThrow(/larger than its bound/);
  });
});
