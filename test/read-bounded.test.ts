/**
 * src/read-bounded.ts: a file someone else handed us is read up to its bound and no
 * further, whatever its size says (a FIFO says 0, /proc files say 0, a file may grow).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileAtMost } from '../src/read-bounded.js';

const dir = mkdtempSync(join(tmpdir(), 'emr-read-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readFileAtMost', () => {
  it('returns a file of exactly the bound, and null one byte over', () => {
    const f = join(dir, 'exact');
    writeFileSync(f, Buffer.alloc(1000, 7));
    expect(readFileAtMost(f, 1000)?.length).toBe(1000);
    expect(readFileAtMost(f, 999)).toBeNull();
  });

  it('reads a file whose size says 0 (procfs) whole, past the first buffer', () => {
    const got = readFileAtMost('/proc/self/status', 1 << 20);
    expect(got?.toString('utf8')).toMatch(/^Name:/);
    expect(got?.toString('utf8')).toContain('VmRSS');
  });

  it('reads a FIFO fed more than the first buffer up to its bound only, then null', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // 300 KiB through the FIFO: more than the 64 KiB first read, so the buffer must grow.
    const writer = spawn('sh', ['-c', `head -c 307200 /dev/zero > '${fifo}'`]);
    const closed = new Promise((r) => writer.once('close', r));
    const got = readFileAtMost(fifo, 300 * 1024);
    await closed;
    expect(got?.length).toBe(300 * 1024);
    const writer2 = spawn('sh', ['-c', `head -c 307201 /dev/zero > '${fifo}' 2>/dev/null; true`]);
    const closed2 = new Promise((r) => writer2.once('close', r));
    expect(readFileAtMost(fifo, 300 * 1024)).toBeNull();
    await closed2;
  });

  it('never allocates the bound for a small file (an 8 MiB bound for a 2 KB file)', () => {
    const f = join(dir, 'small');
    writeFileSync(f, 'x'.repeat(2048));
    const got = readFileAtMost(f, 8 << 20)!;
    expect(got.length).toBe(2048);
    // The bytes live in a buffer sized from the file, not from the bound.
    expect(got.buffer.byteLength).toBeLessThan(64 * 1024);
  });
});
