/**
 * Keeps freed chunk buffers in the C heap instead of handing them back to the kernel.
 *
 * Every ChaCha20-Poly1305 call through node:crypto returns a fresh 64 KiB buffer from
 * malloc (Node 20 cannot write into a buffer we supply), and V8 frees those buffers in
 * bursts at each collection. glibc then trims the heap top back to the kernel as soon as
 * more than M_TRIM_THRESHOLD (128 KiB by default) is free, so the next 16 buffers fault
 * their pages in again: measured here, 640,000 minor faults and 2.4 s of system time per
 * GiB of 64 KiB AEAD calls, and up to half the system time of `emr decrypt` of 1 GiB.
 *
 * mallopt(3), "M_MMAP_THRESHOLD": when a block that was allocated with mmap is freed,
 * glibc raises the mmap threshold to that block's size and the trim threshold to twice
 * it ("dynamic mmap threshold"). Freeing one 16 MiB block therefore sets a 32 MiB trim
 * threshold for the whole process (every thread and arena), with no environment variable
 * and no re-exec; the same loop then took 5,700 faults and 0.09 s of system time. Peak
 * RSS is unchanged: the memory is reused, not added. Other C libraries (musl, macOS) do
 * not trim this way; there the call costs one allocation and one collection.
 */
import { minorGc } from './gc.js';

/** Above glibc's 128 KiB default mmap threshold, at most its 32 MiB dynamic maximum. */
const RAISE_BLOCK = 16 << 20;

let raised = false;

/** Once per process, before bulk chunk work (the parallel job, the streaming paths). */
export function keepFreedChunkMemory(): void {
  if (raised) return;
  raised = true;
  const gc = minorGc();
  if (!gc) return;
  // allocUnsafe: malloc without touching the pages, so the block costs no page faults.
  let block: Buffer | null = Buffer.allocUnsafe(RAISE_BLOCK);
  block[0] = 0;
  block = null;
  gc();
}
