/**
 * Single-threaded STREAM decryption (age.md § "Payload"). Yields plaintext chunk by
 * chunk; detects truncation (no final chunk), reordering (counter in the nonce),
 * trailing data and an empty final chunk that is not the only chunk.
 */
import type { ByteReader } from './io.js';
import { ENCRYPTED_CHUNK_SIZE, openChunk, openFinalChunk, payloadError, TAG_SIZE } from './stream.js';

export async function* decryptPayload(r: ByteReader, key: Uint8Array): AsyncGenerator<Buffer> {
  for (let counter = 0; ; counter++) {
    // One byte beyond a full chunk tells us the chunk is not the final one.
    const more = await r.fill(ENCRYPTED_CHUNK_SIZE + 1);
    if (more) {
      const pt = openChunk(key, counter, false, r.take(ENCRYPTED_CHUNK_SIZE));
      if (!pt) throw payloadError('chunk failed to authenticate');
      yield pt;
      continue;
    }
    const rest = r.take(r.buffered);
    if (rest.length < TAG_SIZE) throw payloadError(counter === 0 ? 'is missing' : 'is truncated');
    if (rest.length === TAG_SIZE && counter > 0) throw payloadError('ends with an empty final chunk');
    yield openFinalChunk(key, counter, rest);
    return;
  }
}
