/** Record metadata version 3, the organisation: docs/FORMAT.md § 3.5 and § 4.2. */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyTypedData } from 'ethers';
import { describe, expect, it } from 'vitest';
import { decryptBundle, encryptBundle } from '../../src/crypto/bundle.js';
import { BUNDLE_MAGIC, encodeMetadata, parseMetadata } from '../../src/crypto/bundle-format.js';
import { bundleDomain, EIP712_TYPES_V3, eip712Value } from '../../src/crypto/bundle-signature.js';
import { IntegrityError } from '../../src/errors.js';
import { bundleWorld } from './helpers.js';

const w = bundleWorld();
const { author, patient, id } = w;
const base = { patient: patient.address, author: author.address, type: 'lab', createdAt: 1_700_000_000 };

async function seal(meta: Record<string, unknown>) {
  writeFileSync(join(w.dir, 'pt3'), 'content');
  const out = join(w.dir, 'b3.age');
  const r = await encryptBundle({
    input: join(w.dir, 'pt3'),
    output: out,
    recipients: [id.recipient],
    meta: meta as never,
    signer: author,
    domain: { chainId: 31337 },
  });
  return { r, out };
}

describe('FORMAT.md § 3.5 organisation (version 3)', () => {
  it('MUST (FORMAT.md § 3.5): `org` makes version 3, with or without clinical fields; it round-trips and is signed', async () => {
    for (const extra of [{}, { facility: 'ward 3', careDate: '2026-01-02' }]) {
      const { r, out } = await seal({ ...base, ...extra, org: '7' });
      expect(r.metadata.v).toBe(3);
      const res = await decryptBundle({ input: out, output: join(w.dir, 'o3'), identities: [id.identity] });
      expect(res.signed && res.metadata).toMatchObject({ v: 3, org: '7', ...extra });
      const sha = Buffer.from(r.sha256, 'hex');
      expect(verifyTypedData(bundleDomain(r.metadata), EIP712_TYPES_V3, eip712Value(r.metadata, 7n, sha), r.signature)).toBe(
        author.address,
      );
      const forged = { ...r.metadata, org: '8' };
      expect(verifyTypedData(bundleDomain(forged), EIP712_TYPES_V3, eip712Value(forged, 7n, sha), r.signature)).not.toBe(author.address);
    }
  });

  it('MUST (FORMAT.md § 3.5): readers reject a version that does not match `org`, and a malformed org', () => {
    const enc = (m: Record<string, unknown>) => encodeMetadata(m as never).subarray(BUNDLE_MAGIC.length + 4);
    expect(parseMetadata(enc({ ...base, v: 3, org: '12' })).org).toBe('12');
    for (const m of [
      { ...base, v: 2, org: '12' },
      { ...base, v: 2, org: '12', facility: 'x' },
      { ...base, v: 3 },
      { ...base, v: 3, facility: 'x' },
      { ...base, v: 3, org: '012' },
      { ...base, v: 3, org: '0' },
      { ...base, v: 3, org: 12 },
    ])
      expect(() => parseMetadata(enc(m))).toThrow(IntegrityError);
  });
});
