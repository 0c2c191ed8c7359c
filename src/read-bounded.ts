/**
 * Reading a small file someone else handed us (a signed action, a device config) without
 * trusting its size: at most `max` + 1 bytes are read, whatever the path is. A FIFO or a
 * device fed without end, or a huge file, is never buffered whole before the size check.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** First buffer for a file whose size says nothing (a FIFO, /proc): grown by doubling up to the bound. */
const FIRST_READ = 64 * 1024;

/** The file's bytes, or null when it holds more than `max` bytes. Throws what open/read throw. */
export function readFileAtMost(path: string, max: number): Buffer | null {
  const fd = openSync(path, 'r');
  try {
    // Sized from fstat (plus one byte to see growth), never above the bound: a bound of
    // 8 MiB used to allocate and zero 8 MiB per read of a 2 KB contact book (issue 26 § 2
    // profile: 0.9 s of a 1,000-record batch). The size is only a hint; the loop trusts reads.
    const hint = fstatSync(fd).size;
    let buf = Buffer.alloc(Math.min(max + 1, Math.max(hint + 1, hint === 0 ? FIRST_READ : 1)));
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      n += r;
      if (r === 0 || n > max) break;
      if (n === buf.length) {
        const bigger = Buffer.alloc(Math.min(max + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
    }
    return n > max ? null : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
