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

/** Pull reader over an async byte iterator. */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private eof = false;
  /** Bytes handed out so far (for header transcripts and offsets). */
  consumed = 0;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  get buffered(): number {
    return this.buf.length;
  }

  /** Buffers at least n bytes unless the input ends first; returns buffered >= n. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.eof) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      const v = r.value;
      const chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    }
    return this.buf.length >= n;
  }

  /** Takes up to n buffered bytes (a view: copy it if you keep it past the next fill). */
  take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    this.consumed += out.length;
    return out;
  }

  /** Reads one LF-terminated line (without the LF), or null at EOF / beyond `max` bytes. */
  async readLine(max: number): Promise<Buffer | null> {
    let scanned = 0;
    for (;;) {
      const i = this.buf.indexOf(0x0a, scanned);
      if (i >= 0) {
        if (i > max) return null;
        const line = Buffer.from(this.take(i + 1).subarray(0, i));
        return line;
      }
      scanned = this.buf.length;
      if (scanned > max) return null;
      if (!(await this.fill(this.buf.length + 1))) return null;
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

export async function fileSink(target: string): Promise<Sink> {
  const { fh, tmp } = await openTempFile(target);
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return {
    write: async (b) => {
      let off = 0;
      while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
    },
    commit: async () => {
      await close();
      await rename(tmp, target);
    },
    abort: async () => {
      await close().catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}

/**
 * A stream sink cannot un-write: plaintext reaches it before the final check
 * (documented in docs/FORMAT.md § Output).
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
