/**
 * ChaCha20-Poly1305 (RFC 8439) through node:crypto, for stanza bodies (age.md § "X25519
 * recipient type": "encrypted with ChaCha20-Poly1305 ... with a zero nonce").
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

const TAG = 16;

export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
}

/** Returns null when authentication fails: the caller decides whether that is an error. */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const out = d.update(sealed.subarray(0, sealed.length - TAG));
  try {
    d.final();
  } catch {
    out.fill(0);
    return null;
  }
  return new Uint8Array(out);
}

/** HKDF-SHA256 (RFC 5869); `salt` empty means the RFC's default. */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, len: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, typeof info === 'string' ? Buffer.from(info) : info, len));
}
