// docs/FORMAT.md § 1.6: a caller's checks run before the output is renamed into place, on
// both decryption paths (stream and two-thread); a refusal leaves no file.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptBundle, encryptBundle } from '../../src/crypto/bundle.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { IntegrityError } from '../../src/errors.js';
import { filesIn, tempDir } from './helpers.js';

const author = new Wallet('0x' + '66'.repeat(32));
const id = generateIdentity();
let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  writeFileSync(join(dir, 'pt'), Buffer.alloc(300_000, 5));
  await encryptBundle({
    input: join(dir, 'pt'),
    output: join(dir, 'b.age'),
    recipients: [id.recipient],
    signer: author,
    meta: { patient: author.address, author: author.address, type: 'lab' },
  });
});
afterAll(() => cleanup());

describe('FORMAT.md § 1.6 accept hook', () => {
  for (const path of ['stream', 'parallel'] as const) {
    it(`a refusal in accept() MUST leave no output (${path} path); acceptance commits it`, async () => {
      const out = join(dir, `out-${path}`);
      const refuse = () => {
        throw new IntegrityError('not the record on chain', { hint: 'test' });
      };
      await expect(
        decryptBundle({ input: join(dir, 'b.age'), output: out, identities: [id.identity], accept: refuse }, { path }),
      ).rejects.toBeInstanceOf(IntegrityError);
      expect(filesIn(dir).filter((f) => f.includes(path))).toEqual([]);
      let seen = false;
      const r = await decryptBundle(
        { input: join(dir, 'b.age'), output: out, identities: [id.identity], accept: (x) => void (seen = x.signed) },
        { path },
      );
      expect(seen && r.signed).toBe(true);
      expect(filesIn(dir).filter((f) => f.includes(path))).toEqual([`out-${path}`]);
    });
  }
});
