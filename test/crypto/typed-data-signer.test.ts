// The batch's fast EIP-712 signer (src/batch/record-signer.ts): the same signature bytes
// as an ethers Wallet (both RFC 6979 deterministic, low-S), verifiable with
// ethers.verifyTypedData, and bound to what it signed (negatives).

import { getAddress, Signature, type TypedDataDomain, TypedDataEncoder, verifyTypedData, Wallet } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EIP712_TYPES } from '../../src/crypto/bundle-signature.js';
import { fastTypedDataSigner } from '../../src/crypto/typed-data-signer.js';

const wallet = new Wallet('0x' + '42'.repeat(32));
const signer = fastTypedDataSigner(new Wallet('0x' + '42'.repeat(32)));
const domain: TypedDataDomain = {
  name: 'emr',
  version: '1',
  chainId: 31337n,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
};

const value = (o: Partial<Record<string, unknown>> = {}): Record<string, unknown> => ({
  version: 1,
  patient: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
  author: wallet.address,
  recordType: 'lab',
  title: 'CBC panel',
  fileName: 'cbc.pdf',
  mediaType: 'application/pdf',
  createdAt: 1_700_000_000n,
  size: 10_240n,
  contentHash: '0x' + 'ab'.repeat(32),
  ...o,
});

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => '0x' + Buffer.from(b).toString('hex'));
const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress('0x' + Buffer.from(b).toString('hex')));
const arbValue = fc.record({
  version: fc.integer({ min: 0, max: 65535 }),
  patient: addr,
  author: fc.constant(wallet.address),
  recordType: fc.string({ maxLength: 40 }),
  title: fc.string({ unit: 'grapheme', maxLength: 80 }),
  fileName: fc.string({ maxLength: 40 }),
  mediaType: fc.string({ maxLength: 40 }),
  createdAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  size: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  contentHash: hex32,
});
const arbDomain = fc.record({
  name: fc.constant('emr'),
  version: fc.constant('1'),
  chainId: fc.bigInt({ min: 1n, max: 2n ** 64n }),
  verifyingContract: addr,
});

describe('fastTypedDataSigner', () => {
  it('gives the very bytes of ethers Wallet.signTypedData, and verifyTypedData recovers the author', async () => {
    await fc.assert(
      fc.asyncProperty(arbDomain, arbValue, async (d, v) => {
        const fast = await signer.signTypedData(d, EIP712_TYPES, v);
        expect(fast).toBe(await wallet.signTypedData(d, EIP712_TYPES, v));
        expect(verifyTypedData(d, EIP712_TYPES, v, fast)).toBe(wallet.address);
        // FORMAT.md § 4: r ‖ s ‖ v with v ∈ {27, 28}, low S.
        const bytes = Buffer.from(fast.slice(2), 'hex');
        expect(bytes).toHaveLength(65);
        expect([27, 28]).toContain(bytes[64]);
        expect(BigInt(Signature.from(fast).s) <= 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('the offline domain (no chainId, no contract) matches ethers too', async () => {
    const d = { name: 'emr', version: '1' };
    expect(await signer.signTypedData(d, EIP712_TYPES, value())).toBe(await wallet.signTypedData(d, EIP712_TYPES, value()));
  });

  it('a signature does not verify for another chain, contract or content (recovers someone else)', async () => {
    const sig = await signer.signTypedData(domain, EIP712_TYPES, value());
    expect(verifyTypedData({ ...domain, chainId: 1n }, EIP712_TYPES, value(), sig)).not.toBe(wallet.address);
    expect(verifyTypedData({ ...domain, verifyingContract: '0x' + '11'.repeat(20) }, EIP712_TYPES, value(), sig)).not.toBe(wallet.address);
    expect(verifyTypedData(domain, EIP712_TYPES, value({ size: 10_241n }), sig)).not.toBe(wallet.address);
    expect(verifyTypedData(domain, EIP712_TYPES, value({ contentHash: '0x' + 'ac'.repeat(32) }), sig)).not.toBe(wallet.address);
    expect(verifyTypedData(domain, EIP712_TYPES, value({ title: 'CBC panel ' }), sig)).not.toBe(wallet.address);
  });

  it('one domain separator cached per domain: alternating domains still sign for each', async () => {
    const other = { ...domain, chainId: 5n };
    for (const d of [domain, other, domain, other]) {
      expect(await signer.signTypedData(d, EIP712_TYPES, value())).toBe(await wallet.signTypedData(d, EIP712_TYPES, value()));
    }
  });

  it('lower-case and upper-case addresses are encoded like ethers; a bad checksum is refused like ethers', async () => {
    const lower = value({ patient: '0x5b38da6a701c568545dcfcb03fcb875f56beddc4' });
    expect(await signer.signTypedData(domain, EIP712_TYPES, lower)).toBe(await wallet.signTypedData(domain, EIP712_TYPES, lower));
    const bad = value({ patient: '0x5B38Da6a701c568545dCfcB03FcB875f56beddc4' });
    await expect(wallet.signTypedData(domain, EIP712_TYPES, bad)).rejects.toThrow();
    await expect(signer.signTypedData(domain, EIP712_TYPES, bad)).rejects.toThrow();
  });

  it('out-of-range or mistyped values are refused, never silently encoded', async () => {
    for (const v of [
      value({ version: 65536 }),
      value({ size: -1n }),
      value({ createdAt: 2n ** 64n }),
      value({ contentHash: '0x1234' }),
      value({ title: 7 }),
    ]) {
      await expect(signer.signTypedData(domain, EIP712_TYPES, v)).rejects.toThrow();
    }
  });

  it('types it does not encode directly (a nested struct) go through ethers and still match', async () => {
    const types = {
      Mail: [
        { name: 'from', type: 'Person' },
        { name: 'body', type: 'string' },
      ],
      Person: [
        { name: 'name', type: 'string' },
        { name: 'wallet', type: 'address' },
      ],
    };
    const v = { from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' }, body: 'Hello' };
    const sig = await signer.signTypedData(domain, types, v);
    expect(sig).toBe(await wallet.signTypedData(domain, types, v));
    expect(TypedDataEncoder.hash(domain, types, v)).toMatch(/^0x/);
  });
});
