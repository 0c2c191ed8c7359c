/**
 * EIP-55 checksummed Ethereum addresses with @noble/hashes' Keccak-256, so parsing bundle
 * metadata does not load ethers (~0.2 s of start-up) on the decrypt path. Accepts what
 * ethers 6 `getAddress` accepts for hex addresses (optional 0x; all-lower, all-upper or a
 * correct mixed-case checksum); ICAP "XE…" addresses are not accepted here.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { BoundedMemo } from '../bounded-memo.js';

const HEX40 = /^(0x)?[0-9a-fA-F]{40}$/;

/** EIP-55: uppercase each hex letter whose nibble of keccak256(lowercase hex) is ≥ 8. */
function checksum(lowerHex: string): string {
  const h = keccak_256(new TextEncoder().encode(lowerHex));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const nibble = (h[i >> 1]! >> (i & 1 ? 0 : 4)) & 0x0f;
    out += nibble >= 8 ? lowerHex[i]!.toUpperCase() : lowerHex[i]!;
  }
  return out;
}

/**
 * Answers already computed, by the exact input: a batch checksums the same author and
 * patients for every record (bundle metadata), and each answer costs a Keccak-256 in JS
 * (~80 ms of a 1,000-row job; issue 26 § 2). Bounded: emptied when full, and only inputs
 * shaped like an address (≤ 42 characters) are kept: a hostile string of any size (a
 * manifest cell, a chain event) must not be held after its caller let it go.
 */
const known = new BoundedMemo<string, string | null>(4096);

/** How many answers are remembered (for the test that bounds what is kept). */
export function rememberedAddresses(): number {
  return known.size;
}

/** The checksummed form, or null when `a` is not a hex address or has a wrong mixed-case checksum. */
export function toChecksumAddress(a: string): string | null {
  if (typeof a !== 'string' || !HEX40.test(a)) return null;
  const hit = known.get(a);
  if (hit !== undefined) return hit;
  return known.set(a, computeChecksumAddress(a));
}

function computeChecksumAddress(a: string): string | null {
  const hex = a.startsWith('0x') ? a.slice(2) : a;
  const sum = checksum(hex.toLowerCase());
  const mixed = hex !== hex.toLowerCase() && hex !== hex.toUpperCase();
  if (mixed && sum.slice(2) !== hex) return null;
  return sum;
}
