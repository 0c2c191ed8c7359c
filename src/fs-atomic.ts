/**
 * Atomic file writes (docs/CLI.md: "nothing lost: no half-written files, no keystore
 * overwritten"). Data goes to a unique temporary file in the target's directory, is
 * fsynced, then linked or renamed into place, and the directory is fsynced.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  mode?: number;
  /** When false (the default), an existing target is never replaced: EEXIST is thrown. */
  overwrite?: boolean;
}

export function tempPathBeside(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The exact name pattern of tempPathBeside(target): `.<name>.<12 hex>.tmp`. */
export function tempPatternBeside(target: string): RegExp {
  return new RegExp(`^\\.${escapeRe(basename(target))}\\.[0-9a-f]{12}\\.tmp$`);
}

/** When this process started: a temporary file last written before it is no live run's. */
const RUN_STARTED_MS = Date.now() - process.uptime() * 1000;

/**
 * Removes the temporary files an earlier run of emr left in `dir` when it was killed
 * (SIGKILL, power loss) before it could delete them (docs/FORMAT.md § 1.6): only names
 * matching `pattern` exactly, only regular files (not symlinks) with one link, owned by
 * this uid, mode 0600, and last written before this run started. Anything else is left
 * alone; failures are ignored (best effort, never a reason to fail the command).
 */
export function removeStaleTemps(dir: string, pattern: RegExp): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    if (!pattern.test(name)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isFile() || st.nlink !== 1 || (st.mode & 0o777) !== 0o600) continue;
      if (uid !== undefined && st.uid !== uid) continue;
      if (st.mtimeMs >= RUN_STARTED_MS) continue;
      rmSync(path, { force: true });
      removed.push(name);
    } catch {
      // vanished or not ours to remove: leave it
    }
  }
  return removed;
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
