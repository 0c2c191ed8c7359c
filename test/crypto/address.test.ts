/** EIP-55 without ethers (src/crypto/address.ts) must agree with ethers 6 getAddress/isAddress. */

import { getAddress, isAddress } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rememberedAddresses, toChecksumAddress } from '../../src/crypto/address.js';

const ethersOrNull = (a: string): string | null => (isAddress(a) ? getAddress(a) : null);
const hex40 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex'));

describe('toChecksumAddress', () => {
  it('matches ethers on lower, upper, checksummed, mis-cased and unprefixed hex addresses', () => {
    fc.assert(
      fc.property(hex40, fc.nat({ max: 39 }), fc.boolean(), (h, i, prefix) => {
        const sum = getAddress('0x' + h);
        const flipped =
          sum.slice(2, 2 + i) +
          (sum[2 + i] === sum[2 + i]!.toLowerCase() ? sum[2 + i]!.toUpperCase() : sum[2 + i]!.toLowerCase()) +
          sum.slice(3 + i);
        for (const a of ['0x' + h, '0x' + h.toUpperCase(), sum, '0x' + flipped, prefix ? h : sum.slice(2)]) {
          expect(toChecksumAddress(a), a).toBe(ethersOrNull(a));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('answers a repeated address the same as the first time, valid or not (the answers are remembered; issue 26 § 2)', () => {
    fc.assert(
      fc.property(hex40, (h) => {
        const sum = getAddress('0x' + h);
        const bad =
          sum.slice(0, 2) +
          [...sum.slice(2)].map((c) => (/[a-f]/.test(c) ? c.toUpperCase() : /[A-F]/.test(c) ? c.toLowerCase() : c)).join('');
        for (let round = 0; round < 3; round++) {
          expect(toChecksumAddress('0x' + h)).toBe(sum);
          expect(toChecksumAddress(bad), bad).toBe(ethersOrNull(bad));
        }
      }),
      { numRuns: 100 },
    );
    expect(toChecksumAddress(42 as unknown as string)).toBeNull();
  });

  it('keeps no answer for what is not shaped like an address: a hostile string of any size is not held (issue 26 § 2 cache)', () => {
    const before = rememberedAddresses();
    for (let i = 0; i < 100; i++) expect(toChecksumAddress(`0x${'a'.repeat(40)}${i}`.padEnd(64 * 1024, 'z'))).toBeNull();
    expect(rememberedAddresses()).toBe(before);
    toChecksumAddress(`0x${'b'.repeat(40)}`);
    expect(rememberedAddresses()).toBe(before + 1);
  });

  it('rejects what is not 40 hex digits', () => {
    for (const a of ['', '0x', '0x1234', '0x' + 'g'.repeat(40), '0x' + 'a'.repeat(41), '0X' + 'a'.repeat(40), ' 0x' + 'a'.repeat(40)]) {
      expect(toChecksumAddress(a), a).toBeNull();
    }
  });
});
