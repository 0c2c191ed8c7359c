/** Deterministic test content (no crypto needed: the store must not care what bytes are). */
import { createCipheriv, createHash } from 'node:crypto';
import { CHUNK_SIZE } from '../../src/ipfs/settings.js';

/** Pseudo-random bytes from a seed (AES-CTR keystream), reproducible across runs. */
export function bytesOf(n: number, seed = 1): Uint8Array {
  const key = createHash('sha256').update(`emr-test-${seed}`).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return new Uint8Array(Buffer.concat([c.update(Buffer.alloc(n)), c.final()]));
}

/** Byte equality without vitest's slow element-wise diff on MiB-sized arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The sizes the brief names: 0, 1, a chunk and chunk ± 1, a few MiB (crosses no 174-link boundary). */
export const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 12345];

export async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

export async function* chunked(bytes: Uint8Array, size = 65_552): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.subarray(o, o + size);
}
