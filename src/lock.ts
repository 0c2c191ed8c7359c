/**
 * Lock files for work that must not run twice at once on one home (DEVNET.md § Locks,
 * MANIFEST.md § 6.4): `devnet up`/`down`, and a batch job on its journal.
 *
 * A lock is a file holding the owner's PID and its start time (/proc/<pid>/stat field 22,
 * clock ticks since boot). It is created whole with link(2) from a private temporary file,
 * so no reader ever sees a half-written lock. A lock whose owner is dead, or whose PID now
 * belongs to a process that started at another time (PID reuse), is stale and is broken:
 * renamed aside (only one contender can win that rename), checked to be the stale one, and
 * deleted. A live owner → UnavailableError (exit 6) naming the owner.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { UnavailableError } from './errors.js';

export interface LockOwner {
  pid: number;
  /** /proc start time of `pid` (Linux), or null where /proc is not available. */
  start: string | null;
}

/** The start time of a process (clock ticks after boot, /proc/<pid>/stat field 22), or null. */
export function processStartTime(pid: number): string | null {
  // Our own start time never changes: read once (a batch announced itself per stored
  // record, and this read cost 1.6 s of CPU per 1,000 records; issue 26 § 2).
  if (pid === process.pid && ownStart !== undefined) return ownStart;
  const t = readStartTime(pid);
  if (pid === process.pid) ownStart = t;
  return t;
}

let ownStart: string | null | undefined;

function readStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: fields after the last ')' are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // field 22 = index 19 counting from field 3
  } catch {
    return null;
  }
}

/** The command line of a process (NUL-separated argv joined by spaces), or null. */
export function processCommandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `owner` still runs: its PID is alive and, where /proc tells start times, the
 * process under that PID is the one that started at `owner.start`.
 */
export function ownerAlive(owner: LockOwner): boolean {
  if (!pidAlive(owner.pid)) return false;
  if (owner.start === null) return true;
  const now = processStartTime(owner.pid);
  return now === null || now === owner.start;
}

function readOwner(path: string): LockOwner | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; start?: unknown };
    if (typeof v.pid !== 'number') return null;
    return { pid: v.pid, start: typeof v.start === 'string' ? v.start : null };
  } catch {
    return null;
  }
}

/** The live owner of the lock or token file at `path`, or null (absent, unreadable or stale). */
export function liveOwner(path: string): LockOwner | null {
  const o = readOwner(path);
  return o && ownerAlive(o) ? o : null;
}

export class Lock {
  private held = true;
  constructor(readonly path: string) {}

  release(): void {
    if (!this.held) return;
    this.held = false;
    // Only remove the file when it is still ours (a stale-lock breaker never takes a live one).
    const o = readOwner(this.path);
    if (o && o.pid === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Takes the lock at `path` or throws UnavailableError (exit 6): `what` names the work in
 * the message ("`emr devnet up` for this home"), `hint` says what to do.
 */
export function acquireLock(path: string, what: string, hint: string): Lock {
  const me: LockOwner = { pid: process.pid, start: processStartTime(process.pid) };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600 });
  try {
    // Bounded: each round either takes the lock, meets a live owner, or breaks one stale lock.
    for (let round = 0; round < 5; round++) {
      try {
        linkSync(tmp, path);
        return new Lock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readOwner(path);
      if (owner && ownerAlive(owner)) {
        throw new UnavailableError(`${what} is already running (pid ${owner.pid})`, { hint, details: { lock: path, pid: owner.pid } });
      }
      breakStale(path, owner);
    }
    throw new UnavailableError(`${what}: cannot take the lock ${path}`, { hint });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
  }
}

/** Renames a stale lock aside and deletes it; puts it back if it turned out to be a fresh one. */
function breakStale(path: string, seen: LockOwner | null): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else broke it first: try again
  }
  const got = readOwner(aside);
  const same = (seen === null && got === null) || (seen !== null && got !== null && got.pid === seen.pid && got.start === seen.start);
  if (!same && got && ownerAlive(got)) {
    // A contender took the lock between our read and our rename: give it back.
    try {
      linkSync(aside, path);
    } catch {
      // a third process holds it now; it is the owner
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // gone
  }
}
