/**
 * Reading a small file someone else handed us (a signed action, a device config) without
 * trusting its size: at most `max` + 1 bytes are read, whatever the path is. A FIFO or a
 * device fed without end, or a huge file, is never buffered whole before the size check.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** The file's bytes, or null when it holds more than `max` bytes. Throws what open/read throw. */
export function readFileAtMost(path: string, max: number): Buffer | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    return n > max ? null : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
