/**
 * Atomic file writes (docs/CLI.md: "nothing lost: no half-written files, no keystore
 * overwritten"). Data goes to a unique temporary file in the target's directory, is
 * fsynced, then linked or renamed into place, and the directory is fsynced.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  mode?: number;
  /** When false (the default), an existing target is never replaced: EEXIST is thrown. */
  overwrite?: boolean;
}

export function tempPathBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse directory fsync; the rename is still atomic there.
  }
}

export function writeFileAtomic(target: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const tmp = tempPathBeside(target);
  const fd = openSync(tmp, 'wx', opts.mode ?? 0o600);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    if (opts.overwrite) {
      renameSync(tmp, target);
    } else {
      // link(2) fails with EEXIST instead of replacing: no check-then-write race.
      linkSync(tmp, target);
      rmSync(tmp, { force: true });
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(target));
}
