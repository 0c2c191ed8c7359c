/**
 * Single-threaded STREAM encryption over arbitrary plaintext pieces (age.md § "Payload").
 * A full chunk is sealed as non-final only once a further byte arrives, so the final
 * chunk may be full and is empty only for an empty plaintext.
 */
import { wipe } from './bytes.js';
import type { Sink } from './io.js';
import { CHUNK_SIZE, sealChunk } from './stream.js';

export class StreamEncryptor {
  private readonly pending = Buffer.alloc(CHUNK_SIZE);
  private fill = 0;
  private counter = 0;
  private finished = false;

  constructor(
    private readonly key: Uint8Array,
    private readonly sink: Sink,
  ) {}

  async push(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      if (this.fill === CHUNK_SIZE) {
        await this.sink.write(sealChunk(this.key, this.counter++, false, this.pending));
        this.fill = 0;
      }
      if (this.fill === 0 && data.length - off > CHUNK_SIZE) {
        // Whole chunk straight from the input, with a byte known to follow: no copy.
        await this.sink.write(sealChunk(this.key, this.counter++, false, data.subarray(off, off + CHUNK_SIZE)));
        off += CHUNK_SIZE;
        continue;
      }
      const n = Math.min(CHUNK_SIZE - this.fill, data.length - off);
      this.pending.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
  }

  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.sink.write(sealChunk(this.key, this.counter++, true, this.pending.subarray(0, this.fill)));
    wipe(this.pending, this.key);
  }
}
