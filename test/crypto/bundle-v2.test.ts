/** Record metadata version 2, the clinical fields: docs/FORMAT.md § 3.4 and § 4.2. */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyTypedData } from 'ethers';
import { describe, expect, it } from 'vitest';
import { decryptBundle, encryptBundle } from '../../src/crypto/bundle.js';
import { BUNDLE_MAGIC, encodeMetadata, parseMetadata } from '../../src/crypto/bundle-format.js';
import { bundleDomain, EIP712_TYPES_V2, eip712Value } from '../../src/crypto/bundle-signature.js';
import { IntegrityError } from '../../src/errors.js';
import { bundleWorld } from './helpers.js';

const w = bundleWorld();
const { author, patient, id } = w;
const base = { patient: patient.address, author: author.address, type: 'lab', createdAt: 1_700_000_000 };
const clinical = {
  fhir: '4.0.1',
  careDate: '2019-05-02T10:00:00-04:00',
  supersedes: '12',
  facility: 'St. Elsewhere',
  encounterStart: '2019-05-02',
  encounterEnd: '2019-05-03',
  mrn: 'MRN-7',
};

async function seal(meta: Record<string, unknown>) {
  writeFileSync(join(w.dir, 'pt'), 'content');
  const out = join(w.dir, 'b.age');
  const r = await encryptBundle({
    input: join(w.dir, 'pt'),
    output: out,
    recipients: [id.recipient],
    meta: meta as never,
    signer: author,
    domain: { chainId: 31337 },
  });
  return { r, out };
}

describe('FORMAT.md § 3.4 clinical metadata (version 2)', () => {
  it('§ 3.4 MUST: a writer without clinical fields emits version 1, byte-identical keys as before', async () => {
    const { r } = await seal({ ...base, title: 't' });
    expect(r.metadata.v).toBe(1);
  });

  it('§ 3.4 MUST: clinical fields make version 2; they round-trip and are signed (§ 4.2, verifiable with ethers)', async () => {
    const { r, out } = await seal({ ...base, ...clinical });
    expect(r.metadata.v).toBe(2);
    const res = await decryptBundle({ input: out, output: join(w.dir, 'o'), identities: [id.identity] });
    expect(res.signed && res.metadata).toMatchObject({ v: 2, ...clinical });
    const sha = Buffer.from(r.sha256, 'hex');
    expect(verifyTypedData(bundleDomain(r.metadata), EIP712_TYPES_V2, eip712Value(r.metadata, 7n, sha), r.signature)).toBe(author.address);
    // Changing a signed clinical field changes what was signed: the signature no longer recovers the author.
    const forged = { ...r.metadata, supersedes: '13' };
    expect(verifyTypedData(bundleDomain(forged), EIP712_TYPES_V2, eip712Value(forged, 7n, sha), r.signature)).not.toBe(author.address);
  });

  it('§ 3.4 MUST: readers reject a version that does not match the fields, and malformed clinical values', () => {
    const enc = (m: Record<string, unknown>) => encodeMetadata(m as never).subarray(BUNDLE_MAGIC.length + 4);
    expect(parseMetadata(enc({ ...base, v: 2, careDate: '2020-01-01' })).careDate).toBe('2020-01-01');
    for (const bad of [
      { ...base, v: 1, careDate: '2020-01-01' },
      { ...base, v: 2 },
      { ...base, v: 3 },
      { ...base, v: 2, careDate: 'yesterday' },
      { ...base, v: 2, supersedes: '01' },
      { ...base, v: 2, supersedes: 12 },
      { ...base, v: 2, fhir: '3.0.2' },
      { ...base, v: 2, mrn: '' },
      { ...base, v: 2, facility: 'x'.repeat(257) },
    ]) {
      expect(() => parseMetadata(enc(bad)), JSON.stringify(bad)).toThrow(IntegrityError);
    }
  });

  it('old (version 1) bundles still open', async () => {
    const { out } = await seal({ ...base, title: 'old' });
    const res = await decryptBundle({ input: out, output: join(w.dir, 'o1'), identities: [id.identity] });
    expect(res.signed && res.metadata.v).toBe(1);
    expect(readFileSync(join(w.dir, 'o1'), 'utf8')).toBe('content');
  });
});
