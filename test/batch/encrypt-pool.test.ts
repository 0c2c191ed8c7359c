// The batch's encryption worker threads (src/batch/encrypt-pool.ts): what they return is
// a bundle that decrypts to the plaintext with the author's verified signature, errors
// keep their class, and a closed pool refuses work. Imported from dist/ (built by
// `npm run build` / pretest): the worker runs the compiled encrypt-worker.js.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptBundle } from '../../src/crypto/bundle.js';
import { generateIdentity } from '../../src/crypto/identity.js';

const { EncryptPool, defaultPoolSize } = (await import(
  '../../dist/batch/encrypt-pool.js' as string
)) as typeof import('../../src/batch/encrypt-pool.js');

const key = randomBytes(32);
const author = new Wallet('0x' + key.toString('hex')).address;
const patient = generateIdentity('x25519');
const domain = { chainId: 31337n, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
const meta = (title: string) => ({
  patient: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
  author,
  type: 'lab',
  title,
  fileName: 'x.txt',
  mediaType: 'text/plain',
  createdAt: 1_700_000_000,
});
const pool = new EncryptPool(Uint8Array.from(key), 2);
afterAll(() => pool.close());

async function open(ciphertext: Uint8Array, identity: string) {
  const f = join(mkdtempSync(join(tmpdir(), 'emr-pool-')), 'x.age');
  writeFileSync(f, ciphertext);
  return decryptBundle({ input: f, output: null, identities: [identity] });
}

describe('EncryptPool', () => {
  it('30 concurrent records: each decrypts for the patient, signed by the author, hash and size right', async () => {
    const plains = Array.from({ length: 30 }, (_, i) => randomBytes(i * 997));
    const outs = await Promise.all(
      plains.map((p, i) => pool.encrypt({ plaintext: p, recipients: [patient.recipient], meta: meta(`r${i}`), domain })),
    );
    for (const [i, out] of outs.entries()) {
      const want = createHash('sha256').update(plains[i]!).digest('hex');
      expect(out.sha256).toBe(want);
      expect(out.size).toBe(plains[i]!.length);
      const d = await open(out.ciphertext, patient.identity);
      expect(d.signed).toBe(true);
      if (!d.signed) continue;
      expect(d.author).toBe(author);
      expect(d.sha256).toBe(want);
      expect(d.metadata.title).toBe(`r${i}`);
      expect(d.domain.chainId).toBe(31337n);
    }
    // The caller's plaintext is copied, not transferred away.
    expect(plains[5]!.length).toBe(5 * 997);
  });

  it('someone else cannot open it', async () => {
    const out = await pool.encrypt({ plaintext: Buffer.from('secret'), recipients: [patient.recipient], meta: meta('t'), domain });
    await expect(open(out.ciphertext, generateIdentity('x25519').identity)).rejects.toMatchObject({ code: expect.any(String) });
  });

  it('errors keep their class: a bad recipient is USAGE, an author that is not the key is USAGE', async () => {
    await expect(
      pool.encrypt({ plaintext: Buffer.from('x'), recipients: ['age1notarecipient'], meta: meta('t'), domain }),
    ).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      pool.encrypt({
        plaintext: Buffer.from('x'),
        recipients: [patient.recipient],
        meta: { ...meta('t'), author: '0x' + '11'.repeat(20) },
        domain,
      }),
    ).rejects.toMatchObject({ code: 'USAGE', message: 'the signer is not the record author' });
  });

  it('a closed pool refuses work (INTERNAL)', async () => {
    const p = new EncryptPool(Uint8Array.from(key), 1);
    await p.close();
    await expect(
      p.encrypt({ plaintext: Buffer.from('x'), recipients: [patient.recipient], meta: meta('t'), domain }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('default size: none on 2 cores, then all but two cores, at most 4', () => {
    expect(defaultPoolSize(1)).toBe(0);
    expect(defaultPoolSize(2)).toBe(0);
    expect(defaultPoolSize(3)).toBe(1);
    expect(defaultPoolSize(4)).toBe(2);
    expect(defaultPoolSize(64)).toBe(4);
  });
});
