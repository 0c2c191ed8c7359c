/**
 * The age payload (age.md § "Payload"): a 16-byte nonce, then STREAM
 * (Hoang–Reyhanitabar–Rogaway–Vizár) over ChaCha20-Poly1305 with
 *   payload key = HKDF-SHA256(ikm = file key, salt = nonce, info = "payload")
 *   chunk nonce = 11-byte big-endian counter ‖ last-chunk flag (0x01 on the final chunk)
 * 64 KiB plaintext chunks; the final chunk may be full and is empty only when the whole
 * plaintext is empty. node:crypto (OpenSSL) does the AEAD: ~10x pure JS here.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { IntegrityError } from '../errors.js';
import { hkdf } from './aead.js';
import type { FileKey } from './keys.js';

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const PAYLOAD_NONCE_SIZE = 16;

export function payloadKey(fileKey: FileKey, nonce: Uint8Array): Uint8Array {
  return hkdf(fileKey, nonce, 'payload', 32);
}

export function chunkNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  // Counters beyond 2^53 chunks (2^69 bytes) are unreachable.
  n.writeUIntBE(Math.floor(counter / 2 ** 32), 3, 4);
  n.writeUInt32BE(counter >>> 0, 7);
  n[11] = last ? 1 : 0;
  return n;
}

export function sealChunk(key: Uint8Array, counter: number, last: boolean, pt: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: TAG_SIZE });
  const body = c.update(pt);
  c.final();
  return Buffer.concat([body, c.getAuthTag()], pt.length + TAG_SIZE);
}

/** Returns null when the chunk does not authenticate under (counter, last). */
export function openChunk(key: Uint8Array, counter: number, last: boolean, ct: Uint8Array): Buffer | null {
  if (ct.length < TAG_SIZE) return null;
  const d = createDecipheriv('chacha20-poly1305', key, chunkNonce(counter, last), { authTagLength: TAG_SIZE });
  d.setAuthTag(ct.subarray(ct.length - TAG_SIZE));
  const pt = d.update(ct.subarray(0, ct.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    pt.fill(0);
    return null;
  }
  return pt;
}

/**
 * Opens the final chunk; on failure tells truncation (a full chunk that opens as non-final:
 * the real final chunk was cut off) from tampering.
 */
export function openFinalChunk(key: Uint8Array, counter: number, ct: Uint8Array): Buffer {
  const pt = openChunk(key, counter, true, ct);
  if (pt) return pt;
  const cut = ct.length === ENCRYPTED_CHUNK_SIZE && openChunk(key, counter, false, ct);
  if (cut) cut.fill(0);
  throw payloadError(cut ? 'is truncated' : 'final chunk failed to authenticate');
}

export function payloadError(what: string): IntegrityError {
  return new IntegrityError(`age payload ${what}`, {
    hint: 'the file was truncated, reordered or tampered with',
  });
}

/** Encrypted size of a plaintext of n bytes (nonce excluded). */
export function encryptedPayloadSize(n: number): number {
  const chunks = n === 0 ? 1 : Math.ceil(n / CHUNK_SIZE);
  return n + chunks * TAG_SIZE;
}
