/**
 * The key agent process (docs/KEYSTORE.md § 6), started detached by `emr agent start`:
 *   node daemon.js <home> <idleSeconds>
 * It holds account keys in memory only, answers on a 0600 Unix socket to clients that
 * present the per-start secret, and exits — keys zeroed, socket and secret removed — after
 * `idleSeconds` without a request, on `emr agent stop`, or on SIGTERM/SIGINT/SIGHUP.
 * It never writes a key anywhere and prints nothing but one status line for its starter.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { MAX_SOCKET_PATH, socketPathTooLong, startToken } from './process.js';
import { agentDir, EXCHANGE_MS, MAX_IDLE_SECONDS, MAX_KEYS, pidPath, readFrame, secretPath, socketPath, writeFrame } from './protocol.js';

interface Held {
  address: string;
  key: Buffer;
}

function fail(message: string): never {
  process.stdout.write(JSON.stringify({ ok: false, message }) + '\n');
  process.exit(1);
}

const [home, idleArg] = process.argv.slice(2);
if (!home || !idleArg) fail('usage: daemon.js <home> <idleSeconds>');
let idleSeconds = Number(idleArg);
if (!Number.isInteger(idleSeconds) || idleSeconds < 1 || idleSeconds > MAX_IDLE_SECONDS) fail('bad idle time');

// Every file this process makes is private to the user, the socket included: it exists
// with mode 0600 from its first instant (no window between listen and chmod).
process.umask(0o077);
const dir = agentDir(home);
mkdirSync(dir, { recursive: true, mode: 0o700 });
const st = lstatSync(dir);
if (!st.isDirectory() || st.uid !== process.getuid!() || (st.mode & 0o077) !== 0) {
  fail(`${dir} must be a directory owned by you with mode 0700`);
}
const sock = socketPath(home);
// KEYSTORE.md § 6.11: bind(2) cuts a longer path silently; never listen somewhere else.
const tooLong = socketPathTooLong(sock);
if (tooLong !== null) fail(`the socket path ${sock} is ${tooLong} bytes; a Unix socket allows ${MAX_SOCKET_PATH}`);
const secretFile = secretPath(home);
const pidFile = pidPath(home);
const secret = randomBytes(32);
const keys = new Map<string, Held>();
let idleTimer: NodeJS.Timeout | undefined;
let closing = false;
// KEYSTORE.md § 6.10: an agent whose socket was removed or replaced (its directory
// deleted, another agent started over it) can no longer be reached or stopped through it:
// it forgets its keys and exits rather than hold them for nobody.
let watch: NodeJS.Timeout | undefined;

/**
 * The files this process made, by device and inode (KEYSTORE.md § 6.9): the path may
 * since have been removed and reused by a newer agent, whose files are not ours to remove.
 */
const made = new Map<string, { dev: number; ino: number }>();

function remember(p: string): void {
  const st = lstatSync(p);
  made.set(p, { dev: st.dev, ino: st.ino });
}

/** Whether `p` is still the file this process made. */
function stillOurs(p: string): boolean {
  const id = made.get(p);
  if (!id) return false;
  try {
    const st = lstatSync(p);
    return st.dev === id.dev && st.ino === id.ino;
  } catch {
    return false;
  }
}

/** Removes `p` only when it is still ours (lstat then unlink: the window is two syscalls). */
function rmOwn(p: string) {
  if (!stillOurs(p)) return;
  try {
    unlinkSync(p);
  } catch {
    // already gone
  }
}

function shutdown(): void {
  if (closing) return;
  closing = true;
  clearInterval(watch);
  for (const h of keys.values()) h.key.fill(0);
  keys.clear();
  // libuv unlinks a Unix socket's bound path when its server closes: closing ours after a
  // newer agent bound the same path removed THAT agent's socket (it then exited too; the
  // full run's agent-hostile 6.9). A socket that is no longer ours stays open until exit.
  const ownSocket = stillOurs(sock);
  rmOwn(sock);
  rmOwn(secretFile);
  rmOwn(pidFile);
  secret.fill(0);
  if (ownSocket) server.close();
  // Connections in flight get no answer; nothing they could still ask for is held.
  setImmediate(() => process.exit(0));
}

function touch(): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(shutdown, idleSeconds * 1000);
}

function authentic(given: unknown): boolean {
  if (typeof given !== 'string' || !/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), secret);
}

async function handle(conn: Socket): Promise<void> {
  conn.setTimeout(EXCHANGE_MS, () => conn.destroy());
  let payload: Buffer | undefined;
  try {
    const frame = await readFrame(conn);
    payload = frame.payload;
    const h = frame.header;
    if (!authentic(h.secret)) {
      writeFrame(conn, { ok: false, error: 'not authorised' });
      return void conn.end();
    }
    touch();
    if (h.op === 'get' && typeof h.profile === 'string') {
      const held = keys.get(h.profile);
      if (!held) writeFrame(conn, { ok: false, error: 'not held' });
      else writeFrame(conn, { ok: true, address: held.address }, held.key);
    } else if (h.op === 'add' && typeof h.profile === 'string' && typeof h.address === 'string' && payload.length === 32) {
      if (!keys.has(h.profile) && keys.size >= MAX_KEYS) {
        writeFrame(conn, { ok: false, error: `holds ${MAX_KEYS} keys already` });
      } else {
        keys.get(h.profile)?.key.fill(0);
        const key = Buffer.alloc(32);
        payload.copy(key);
        keys.set(h.profile, { address: h.address, key });
        if (
          typeof h.idleSeconds === 'number' &&
          Number.isInteger(h.idleSeconds) &&
          h.idleSeconds >= 1 &&
          h.idleSeconds <= MAX_IDLE_SECONDS
        ) {
          idleSeconds = h.idleSeconds;
          touch();
        }
        writeFrame(conn, { ok: true });
      }
    } else if (h.op === 'status') {
      writeFrame(conn, {
        ok: true,
        pid: process.pid,
        idleTimeoutSeconds: idleSeconds,
        profiles: [...keys.entries()].map(([name, v]) => ({ name, address: v.address })),
      });
    } else if (h.op === 'stop') {
      writeFrame(conn, { ok: true });
      conn.end(() => shutdown());
      return;
    } else {
      writeFrame(conn, { ok: false, error: 'unknown request' });
    }
    conn.end();
  } catch {
    conn.destroy();
  } finally {
    payload?.fill(0);
  }
}

const server = createServer((c) => void handle(c));
server.on('error', (e) => fail(`cannot listen on ${sock}: ${(e as Error).message}`));
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, shutdown);

// The starter removed a stale socket already; a live one means another agent won a race.
server.listen(sock, () => {
  try {
    remember(sock);
    chmodSync(sock, 0o600);
    writeFileSync(secretFile, secret.toString('hex') + '\n', { mode: 0o600, flag: 'w' });
    remember(secretFile);
    chmodSync(secretFile, 0o600);
    writeFileSync(pidFile, JSON.stringify({ pid: process.pid, start: startToken(process.pid) }) + '\n', { mode: 0o600, flag: 'w' });
    remember(pidFile);
  } catch (e) {
    rmOwn(sock);
    rmOwn(secretFile);
    rmOwn(pidFile);
    fail(`cannot set up ${dir}: ${(e as Error).message}`);
  }
  watch = setInterval(() => {
    if (!stillOurs(sock)) shutdown();
  }, 1000);
  touch();
  process.stdout.write(JSON.stringify({ ok: true, pid: process.pid }) + '\n');
});
