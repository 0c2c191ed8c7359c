/**
 * Byte sources and sinks for the streaming encrypt/decrypt paths. Memory stays flat:
 * the reader buffers at most one read plus one chunk; file sinks write to a temporary
 * file beside the target and rename only on commit (docs/CLI.md: "A failed command writes
 * no partial output file").
 */

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { removeStaleTemps, tempPathBeside, tempPatternBeside } from '../fs-atomic.js';

/** A path, a Node readable stream, or any async iterable of bytes. */
export type Input = string | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;
/** A path, or a Node writable stream (e.g. process.stdout). */
export type Output = string | NodeJS.WritableStream;

const READ_SIZE = 1 << 20;

function usageForFs(e: unknown, what: string, path: string): UsageError {
  const code = (e as NodeJS.ErrnoException).code ?? 'error';
  return new UsageError(`cannot ${what} ${path} (${code})`, {
    hint: 'check that the path exists and that you may access it',
    cause: e,
  });
}

export function openInput(input: Input): AsyncIterator<Uint8Array> {
  if (typeof input === 'string') {
    const s = createReadStream(input, { highWaterMark: READ_SIZE });
    const it = s[Symbol.asyncIterator]();
    return {
      next: async () => {
        try {
          return await it.next();
        } catch (e) {
          throw usageForFs(e, 'read', input);
        }
      },
      return: async () => {
        s.destroy();
        return { done: true, value: undefined };
      },
    };
  }
  return (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
}

/**
 * Pull reader over an async byte iterator. It keeps the pieces as they came and copies only
 * a read that spans two of them: joining each new piece onto the leftover of the last copied
 * every byte once more (a 256 MB fetch reads 256 KiB blocks in 64 KiB + 16 chunks).
 */
export class ByteReader {
  private parts: Buffer[] = [];
  /** Bytes of parts[0] already taken. */
  private head = 0;
  private total = 0;
  private eof = false;
  /** Bytes handed out so far (for header transcripts and offsets). */
  consumed = 0;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  get buffered(): number {
    return this.total;
  }

  /** Buffers at least n bytes unless the input ends first; returns buffered >= n. */
  async fill(n: number): Promise<boolean> {
    while (this.total < n && !this.eof) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      const v = r.value;
      if (v.length === 0) continue;
      this.parts.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      this.total += v.length;
    }
    return this.total >= n;
  }

  /** Takes up to n buffered bytes (a view or a fresh copy; the reader never changes it). */
  take(n: number): Buffer {
    const len = Math.min(n, this.total);
    const first = this.parts[0];
    let out: Buffer;
    if (!first || len === 0) {
      out = Buffer.alloc(0);
    } else if (first.length - this.head >= len) {
      out = first.subarray(this.head, this.head + len);
      this.head += len;
      if (this.head === first.length) {
        this.parts.shift();
        this.head = 0;
      }
    } else {
      out = Buffer.allocUnsafe(len);
      for (let at = 0; at < len; ) {
        const p = this.parts[0]!;
        const k = Math.min(p.length - this.head, len - at);
        p.copy(out, at, this.head, this.head + k);
        at += k;
        this.head += k;
        if (this.head === p.length) {
          this.parts.shift();
          this.head = 0;
        }
      }
    }
    this.total -= len;
    this.consumed += len;
    return out;
  }

  /**
   * The buffered bytes as one Buffer, for the header's line scan. Joins only when there are
   * several pieces; one piece is sliced, never copied: a hostile header of ~4,000 short
   * lines inside one 1 MiB read would otherwise copy that read once per line.
   */
  private joined(): Buffer {
    if (this.parts.length > 1) {
      this.parts = [Buffer.concat(this.parts).subarray(this.head)];
      this.head = 0;
    }
    return this.parts[0]?.subarray(this.head) ?? Buffer.alloc(0);
  }

  /** Reads one LF-terminated line (without the LF), or null at EOF / beyond `max` bytes. */
  async readLine(max: number): Promise<Buffer | null> {
    let scanned = 0;
    for (;;) {
      const buf = this.joined();
      const i = buf.indexOf(0x0a, scanned);
      if (i >= 0) {
        if (i > max) return null;
        const line = Buffer.from(this.take(i + 1).subarray(0, i));
        return line;
      }
      scanned = buf.length;
      if (scanned > max) return null;
      if (!(await this.fill(buf.length + 1))) return null;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

export interface Sink {
  write(b: Uint8Array): Promise<void>;
  /** Makes the output visible (renames the temporary file). */
  commit(): Promise<void>;
  /** Drops the output (deletes the temporary file); safe to call twice. */
  abort(): Promise<void>;
}

/** Unique 0600 temporary file in the target's directory, renamed over it on commit. */
export async function openTempFile(target: string, flags: 'wx' | 'wx+' = 'wx'): Promise<{ fh: FileHandle; tmp: string }> {
  // FORMAT.md § 1.6: an earlier run killed mid-write left its 0600 temporary file here.
  removeStaleTemps(dirname(target), tempPatternBeside(target));
  const tmp = tempPathBeside(target);
  try {
    return { fh: await open(tmp, flags, 0o600), tmp };
  } catch (e) {
    throw usageForFs(e, 'write', target);
  }
}

/**
 * Pieces are gathered up to WRITE_BATCH bytes and written with one writev, while the caller
 * goes on producing the next batch: at most one write in flight, so memory stays at about
 * two batches. Awaiting every 64 KiB write in turn left the CPU idle during each write and
 * the disk idle during each chunk's crypto (a 256 MB fetch: 4,096 writes, 0.4 s idle).
 * The caller MUST NOT change a buffer after passing it to write (they are fresh cipher
 * outputs or copies). A failed write surfaces at the next write or at commit.
 */
const WRITE_BATCH = 1 << 20;

export async function fileSink(target: string): Promise<Sink> {
  const { fh, tmp } = await openTempFile(target);
  let closed = false;
  let queue: Uint8Array[] = [];
  let queued = 0;
  let inFlight: Promise<void> | null = null;
  let failure: { error: unknown } | null = null;
  const writeOut = async (parts: Uint8Array[], total: number) => {
    const done = (await fh.writev(parts)).bytesWritten;
    if (done === total) return;
    // A short writev (rare on a regular file): the rest, in order.
    const rest = Buffer.concat(parts).subarray(done);
    for (let off = 0; off < rest.length; ) off += (await fh.write(rest, off, rest.length - off)).bytesWritten;
  };
  /** Waits for the batch in flight (rethrowing its error), then starts the queued one. */
  const flush = async () => {
    if (inFlight) {
      await inFlight;
      inFlight = null;
    }
    if (failure) throw failure.error;
    if (queued === 0) return;
    const parts = queue;
    const total = queued;
    queue = [];
    queued = 0;
    // Caught at once (no unhandled rejection); reported by the next flush.
    inFlight = writeOut(parts, total).catch((error: unknown) => {
      failure = { error };
    });
  };
  const close = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return {
    write: async (b) => {
      if (b.length === 0) return;
      queue.push(b);
      queued += b.length;
      if (queued >= WRITE_BATCH) await flush();
    },
    commit: async () => {
      await flush();
      await flush(); // waits for the last batch
      await close();
      await rename(tmp, target);
    },
    abort: async () => {
      queue = [];
      queued = 0;
      await inFlight;
      inFlight = null;
      await close().catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}

/**
 * A stream sink cannot un-write: plaintext reaches it before the final check
 * (documented in docs/FORMAT.md § 1.6).
 */
export function streamSink(w: NodeJS.WritableStream): Sink {
  return {
    write: async (b) => {
      if (!w.write(b)) await once(w as NodeJS.EventEmitter, 'drain');
    },
    commit: async () => undefined,
    abort: async () => undefined,
  };
}

export async function openSink(output: Output): Promise<Sink> {
  return typeof output === 'string' ? fileSink(output) : streamSink(output);
}
