/**
 * The use cases behind `emr agent start | stop | status` (docs/KEYSTORE.md § 6).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AgentAbsent, AgentUnsafe, agentRequest, removeStale } from '../agent/client.js';
import { isAgentProcess, MAX_SOCKET_PATH, readPidFile, socketPathTooLong, startToken } from '../agent/process.js';
import { agentDir, DEFAULT_IDLE_SECONDS, parseIdle, pidPath, socketPath } from '../agent/protocol.js';
import type { Context } from '../context.js';
import { InternalError, UnavailableError, UsageError } from '../errors.js';
import { unlock } from '../session/unlock.js';
import { agentDaemonUrl } from '../spawn-targets.js';

export interface AgentStatus {
  running: boolean;
  pid: number | null;
  socket: string;
  idleTimeoutSeconds: number | null;
  profiles: Array<{ name: string; address: string }>;
  /** A socket file was left by an agent that no longer runs (removed by this call). */
  staleRemoved: boolean;
}

/**
 * The agent's files are not private. The hint never says "remove the directory" first: an
 * agent whose socket is removed can no longer be reached (KEYSTORE.md § 6.9); `agent stop`
 * ends it by its pid without using those files.
 */
function unsafe(e: AgentUnsafe): UsageError {
  return new UsageError(`the key agent's files are not private: ${e.message}`, {
    hint: 'run `emr agent stop` (it stops the agent without trusting those files), then make the agent directory private (chmod 700) and start again',
  });
}

export async function agentStatus(home: string): Promise<AgentStatus> {
  const base = { socket: socketPath(home), staleRemoved: false };
  try {
    const f = await agentRequest(home, { op: 'status' });
    if (f.header.ok !== true)
      throw new UnavailableError('the key agent refused a status request', { hint: 'run `emr agent stop` and start it again' });
    const h = f.header as { pid?: unknown; idleTimeoutSeconds?: unknown; profiles?: unknown };
    const profiles = Array.isArray(h.profiles)
      ? h.profiles
          .slice(0, 64)
          .filter((p): p is { name: string; address: string } => typeof p?.name === 'string' && typeof p?.address === 'string')
      : [];
    return {
      ...base,
      running: true,
      pid: typeof h.pid === 'number' ? h.pid : null,
      idleTimeoutSeconds: typeof h.idleTimeoutSeconds === 'number' ? h.idleTimeoutSeconds : null,
      profiles: profiles.map((p) => ({ name: p.name, address: p.address })),
    };
  } catch (e) {
    if (e instanceof AgentUnsafe) throw unsafe(e);
    if (e instanceof AgentAbsent) {
      if (e.stale) removeStale(home);
      return { ...base, running: false, pid: null, idleTimeoutSeconds: null, profiles: [], staleRemoved: e.stale };
    }
    throw new UnavailableError(`the key agent did not answer: ${(e as Error).message}`, {
      hint: 'run `emr agent stop`, then `emr agent start`',
      cause: e,
    });
  }
}

/** Spawns the daemon and waits for its one status line. */
function spawnDaemon(home: string, idleSeconds: number): Promise<number> {
  const daemon = fileURLToPath(agentDaemonUrl());
  // An empty environment: the passphrase may sit in EMR_PASSWORD, and the agent needs nothing.
  const child = spawn(process.execPath, [daemon, home, String(idleSeconds)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: {},
    cwd: agentDir(home),
  });
  return new Promise((resolve, reject) => {
    let line = '';
    const timer = setTimeout(
      () =>
        finish(
          new UnavailableError('the key agent did not start within 10 s', { hint: 'try again; `emr agent status` shows whether one runs' }),
        ),
      10_000,
    );
    const finish = (err: Error | null, pid?: number) => {
      clearTimeout(timer);
      child.stdout!.destroy();
      child.unref();
      if (err) reject(err);
      else resolve(pid!);
    };
    child.on('error', (e) => finish(new InternalError(`cannot start the key agent: ${e.message}`, { cause: e })));
    child.on('exit', (code) =>
      finish(
        new UnavailableError(`the key agent exited at start (code ${code}): ${line.slice(0, 200)}`, {
          hint: 'check the permissions of the agent directory of this home',
        }),
      ),
    );
    child.stdout!.on('data', (d: Buffer) => {
      line += d.toString('utf8');
      if (line.length > 4096) return finish(new InternalError('the key agent said too much at start'));
      const nl = line.indexOf('\n');
      if (nl < 0) return;
      try {
        const msg = JSON.parse(line.slice(0, nl)) as { ok?: boolean; pid?: number; message?: string };
        if (msg.ok && typeof msg.pid === 'number') finish(null, msg.pid);
        else
          finish(
            new UnavailableError(`the key agent could not start: ${String(msg.message).slice(0, 200)}`, {
              hint: 'check the permissions of the agent directory of this home',
            }),
          );
      } catch (e) {
        finish(new InternalError('the key agent gave an unreadable status line', { cause: e }));
      }
    });
  });
}

export interface StartResult extends AgentStatus {
  /** False when an agent was already running (the profile's key was added to it). */
  started: boolean;
  profile: string;
}

/**
 * Unlocks the acting profile (the agent's own key when it already holds it), makes sure an
 * agent runs, and hands it the key. A wrong passphrase fails before any agent is spawned.
 */
export async function startAgent(ctx: Context, timeout: string | undefined): Promise<StartResult> {
  let idle: number | undefined;
  if (timeout !== undefined) {
    const n = parseIdle(timeout);
    if (n === null)
      throw new UsageError(`cannot read --timeout '${timeout.slice(0, 40)}'`, {
        hint: 'give an idle time like 30s, 15m or 2h (at most 24h)',
      });
    idle = n;
  }
  // KEYSTORE.md § 6.11: refused before the passphrase is asked; bind(2) would cut the path.
  const sock = socketPath(ctx.home);
  const long = socketPathTooLong(sock);
  if (long !== null)
    throw new UsageError(`the key agent's socket path would be ${long} bytes, over the ${MAX_SOCKET_PATH} a Unix socket allows: ${sock}`, {
      hint: `use a home whose path is at most ${MAX_SOCKET_PATH - (sock.length - ctx.home.length)} bytes (--home or EMR_HOME; a symlink to this home at a shorter path works)`,
    });
  const me = await unlock(ctx);
  const before = await agentStatus(ctx.home);
  let started = false;
  if (!before.running) {
    mkdirSync(agentDir(ctx.home), { recursive: true, mode: 0o700 });
    await spawnDaemon(ctx.home, idle ?? DEFAULT_IDLE_SECONDS);
    started = true;
  }
  const added = await agentRequest(
    ctx.home,
    { op: 'add', profile: me.profile.name, address: me.profile.address, ...(idle ? { idleSeconds: idle } : {}) },
    me.privateKey,
  );
  if (added.header.ok !== true) {
    throw new UnavailableError(`the key agent refused the key: ${String(added.header.error).slice(0, 120)}`, {
      hint: 'run `emr agent stop` and start it again',
    });
  }
  const now = await agentStatus(ctx.home);
  return { ...now, started, profile: me.profile.name };
}

export interface StopResult {
  stopped: boolean;
  staleRemoved: boolean;
  /** Why the agent was stopped by its pid rather than through its socket, else null. */
  warning: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends the agent named by the pid file, when that pid is this home's agent (KEYSTORE.md
 * § 6.9: same start token, the daemon's command line, the user's process): SIGTERM (it
 * zeroes its keys and removes its own files), SIGKILL after 5 s. False when no such process.
 */
async function stopByPid(home: string): Promise<boolean> {
  const rec = readPidFile(pidPath(home));
  if (!rec || !isAgentProcess(rec, home)) return false;
  process.kill(rec.pid, 'SIGTERM');
  const gone = () => startToken(rec.pid) !== rec.start;
  for (let i = 0; i < 250 && !gone(); i++) await sleep(20);
  if (!gone()) process.kill(rec.pid, 'SIGKILL');
  for (let i = 0; i < 250 && !gone(); i++) await sleep(20);
  return true;
}

/**
 * Stops the agent (it zeroes its keys and removes its socket); harmless when none runs.
 * KEYSTORE.md § 6.5: `stop` always stops the agent this home started, also when its files
 * are no longer private or its socket is gone: then by its pid, never sending the secret to
 * a socket it cannot trust, and it says why.
 */
export async function stopAgent(home: string): Promise<StopResult> {
  try {
    const f = await agentRequest(home, { op: 'stop' });
    if (f.header.ok !== true) {
      if (await stopByPid(home))
        return { stopped: true, staleRemoved: false, warning: 'the key agent refused to stop; it was stopped by its pid' };
      throw new UnavailableError('the key agent refused to stop', { hint: 'end its process (see `emr agent status`)' });
    }
  } catch (e) {
    if (e instanceof UnavailableError) throw e;
    if (e instanceof AgentUnsafe) {
      if (await stopByPid(home))
        return {
          stopped: true,
          staleRemoved: false,
          warning: `the key agent's files are not private (${e.message}): it was stopped by its pid without using them; make ${agentDir(home)} private (chmod 700) or remove it before the next start`,
        };
      throw unsafe(e);
    }
    if (e instanceof AgentAbsent) {
      // No socket (or nobody on it), but an agent of this home may still run: its
      // directory removed by hand, or started by an emr without the socket watch.
      const byPid = await stopByPid(home);
      if (e.stale) removeStale(home);
      return {
        stopped: byPid,
        staleRemoved: e.stale,
        warning: byPid ? 'the key agent could not be reached through its socket; it was stopped by its pid' : null,
      };
    }
    if (await stopByPid(home))
      return {
        stopped: true,
        staleRemoved: false,
        warning: `the key agent did not answer (${(e as Error).message}); it was stopped by its pid`,
      };
    throw e;
  }
  // The agent removes its socket before it exits; wait (bounded) so that the next command
  // does not find a socket that is going away.
  for (let i = 0; i < 50; i++) {
    try {
      await agentRequest(home, { op: 'status' });
    } catch (e) {
      if (e instanceof AgentAbsent) break;
    }
    await sleep(20);
  }
  return { stopped: true, staleRemoved: false, warning: null };
}
