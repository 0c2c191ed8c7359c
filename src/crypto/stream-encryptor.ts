/**
 * Single-threaded STREAM encryption over arbitrary plaintext pieces (age.md § "Payload").
 * A full chunk is sealed as non-final only once a further byte arrives, so the final
 * chunk may be full and is empty only for an empty plaintext.
 */
import { wipe } from './bytes.js';
import type { Sink } from './io.js';
import { CHUNK_SIZE, sealChunk } from './stream.js';

export class StreamEncryptor {
  /**
   * Grown as plaintext arrives, up to one chunk: a small record needs a buffer of its own
   * size, not a zeroed 64 KiB one (a 1,000-row batch of 10 KB records allocated and zeroed
   * 64 MB of them, and V8 counted every one against its external-memory GC trigger).
   * Bytes past `fill` are never read, so the buffer need not be zeroed.
   */
  private pending: Buffer = Buffer.allocUnsafe(0);
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
      if (this.fill + n > this.pending.length) this.grow(this.fill + n);
      this.pending.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
    }
  }

  /** At least `need` bytes (at most a chunk), keeping what is pending; the old buffer is wiped. */
  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(need, this.pending.length * 2)));
    this.pending.copy(next, 0, 0, this.fill);
    wipe(this.pending);
    this.pending = next;
  }

  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.sink.write(sealChunk(this.key, this.counter++, true, this.pending.subarray(0, this.fill)));
    wipe(this.pending, this.key);
  }
}
