/**
 * Knowing the agent process without its socket (docs/KEYSTORE.md § 6.9, 6.10): the pid
 * file, the start token that tells a reused pid from the agent, and the socket-path bound.
 *
 * `agent.pid` holds `{"pid", "start"}`; `start` is the process's start time in clock ticks
 * since boot (`/proc/<pid>/stat`, field 22). A pid is reused by an unrelated process only
 * after the agent is gone, and the new one has another start time, so a pid whose start
 * time differs is never signalled. On systems without /proc the token is null and emr
 * never stops an agent by its pid there (it says so).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The longest Unix socket path the kernel takes, in bytes: `sun_path` is 108 bytes on
 * Linux and 104 on macOS and the BSDs, one of them the terminating NUL. A longer path is
 * cut silently by bind(2) (a socket appears at the cut path, not at the one asked for).
 */
export const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;

/** Byte length of `path` when it is too long for a Unix socket, else null. */
export function socketPathTooLong(path: string): number | null {
  const n = Buffer.byteLength(path, 'utf8');
  return n > MAX_SOCKET_PATH ? n : null;
}

/** The start token of `pid` (see above), or null when it cannot be read. */
export function startToken(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = rest[19]; // field 22 overall
    return start && /^\d{1,20}$/.test(start) ? start : null;
  } catch {
    return null;
  }
}

export interface PidRecord {
  pid: number;
  start: string | null;
}

/**
 * Reads a pid file: a regular file owned by the user, at most 256 bytes, `{"pid","start"}`.
 * Anything else is null (the file is another's or garbage: nothing is signalled on it).
 */
export function readPidFile(path: string): PidRecord | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.getuid?.() || st.size > 256) return null;
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, 256, 0);
    const v = JSON.parse(buf.subarray(0, n).toString('utf8')) as { pid?: unknown; start?: unknown };
    if (!Number.isInteger(v.pid) || (v.pid as number) < 2 || (v.pid as number) > 2 ** 22) return null;
    if (v.start !== null && (typeof v.start !== 'string' || !/^\d{1,20}$/.test(v.start))) return null;
    return { pid: v.pid as number, start: v.start };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `rec` names the running agent of `home`: the process is the user's, its start
 * token is the recorded one, and its command line is the agent daemon's for this home. A
 * reused pid, another program, or another home's agent is never the agent.
 */
export function isAgentProcess(rec: PidRecord, home: string): boolean {
  if (rec.start === null || startToken(rec.pid) !== rec.start) return false;
  try {
    if (statSync(`/proc/${rec.pid}`).uid !== process.getuid?.()) return false;
    const argv = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').split('\0');
    const script = argv[1] ?? '';
    if (basename(script) !== 'agent-daemon.js' && !script.endsWith('/agent/daemon.js')) return false;
    return realpathSync(argv[2] ?? '') === realpathSync(home);
  } catch {
    return false;
  }
}
