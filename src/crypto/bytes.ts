/**
 * Small byte helpers shared by the age and bundle modules.
 * Secrets are compared in constant time and wiped on a best-effort basis.
 */
import { timingSafeEqual } from 'node:crypto';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time equality; lengths are public. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Best-effort zeroisation: the GC may have copied the bytes already. */
export function wipe(...bufs: (Uint8Array | undefined | null)[]): void {
  for (const b of bufs) b?.fill(0);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

const B64_ALPHABET = /^[A-Za-z0-9+/]*$/;

/**
 * Strict unpadded base64 (age.md § "ASCII armor" / "Header": "canonical base64 ...
 * without padding"). Rejects padding, foreign characters and non-zero trailing bits.
 * Returns null on any deviation so callers choose the error.
 */
export function decodeBase64Canonical(s: string): Uint8Array | null {
  if (!B64_ALPHABET.test(s) || s.length % 4 === 1) return null;
  const bytes = Buffer.from(s, 'base64');
  if (encodeBase64NoPad(bytes) !== s) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64NoPad(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64').replace(/=+$/, '');
}
