/**
 * Talking to the key agent (docs/KEYSTORE.md § 6). Before it sends anything, a client
 * checks that the agent directory, socket and secret file belong to the user and are
 * private (0700 / 0600): Node cannot read a Unix socket's peer credentials (SO_PEERCRED),
 * so ownership and modes of the files, plus the per-start secret that only the user can
 * read, are what keep other users out. A socket that fails the checks is not used.
 */
import { lstatSync, readFileSync, type Stats, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { isAgentProcess, readPidFile, socketPathTooLong } from './process.js';
import { agentDir, EXCHANGE_MS, type Frame, type Header, pidPath, readFrame, secretPath, socketPath, writeFrame } from './protocol.js';

/** No socket: no agent. Stale: a socket file nobody listens on (the agent was killed). */
export class AgentAbsent extends Error {
  constructor(readonly stale: boolean) {
    super(stale ? 'stale agent socket' : 'no agent');
  }
}

/** The agent's files are not private to the user: it must not be used. */
export class AgentUnsafe extends Error {}

const mine = (st: Stats) => st.uid === process.getuid?.();

function check(home: string): string {
  const dir = agentDir(home);
  // KEYSTORE.md § 6.11: no agent listens on a path too long for a socket (connect(2) would
  // cut it, like bind(2), and could reach whatever sits at the cut path).
  if (socketPathTooLong(socketPath(home)) !== null) throw new AgentAbsent(false);
  let s: Stats;
  try {
    s = lstatSync(socketPath(home));
  } catch {
    throw new AgentAbsent(false);
  }
  const d = lstatSync(dir);
  if (!d.isDirectory() || !mine(d) || (d.mode & 0o077) !== 0)
    throw new AgentUnsafe(`${dir} is not a private directory of yours (mode 0700)`);
  if (!s.isSocket() || !mine(s) || (s.mode & 0o077) !== 0)
    throw new AgentUnsafe(`${socketPath(home)} is not a private socket of yours (mode 0600)`);
  let secret: Buffer;
  try {
    const f = lstatSync(secretPath(home));
    if (!f.isFile() || !mine(f) || (f.mode & 0o077) !== 0)
      throw new AgentUnsafe(`${secretPath(home)} is not a private file of yours (mode 0600)`);
    secret = readFileSync(secretPath(home));
  } catch (e) {
    if (e instanceof AgentUnsafe) throw e;
    // A socket without its secret: an agent killed between the two, or one half-cleaned.
    throw new AgentAbsent(true);
  }
  const text = secret.toString('utf8').trim();
  secret.fill(0);
  if (!/^[0-9a-f]{64}$/.test(text)) throw new AgentAbsent(true);
  return text;
}

/** One request, one answer. Throws AgentAbsent, AgentUnsafe, or Error on a bad exchange. */
export function agentRequest(home: string, header: Header, payload?: Uint8Array): Promise<Frame> {
  const secret = check(home);
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath(home));
    sock.setTimeout(EXCHANGE_MS, () => sock.destroy(new Error('the agent did not answer in time')));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? new AgentAbsent(true) : e);
    });
    sock.once('connect', () => {
      readFrame(sock).then(
        (f) => {
          sock.destroy();
          resolve(f);
        },
        (e) => {
          sock.destroy();
          reject(e);
        },
      );
      writeFrame(sock, { ...header, secret }, payload);
    });
  });
}

/**
 * Removes a stale socket and secret (nobody listens on them), and the pid file unless it
 * still names a live agent of this home (KEYSTORE.md § 6.9: that one `agent stop` ends).
 */
export function removeStale(home: string): void {
  const rec = readPidFile(pidPath(home));
  const live = rec !== null && isAgentProcess(rec, home);
  for (const p of [socketPath(home), secretPath(home), ...(live ? [] : [pidPath(home)])]) {
    try {
      unlinkSync(p);
    } catch {
      // gone already
    }
  }
}

/**
 * The account key of `profile` when a running agent holds it, else null. Never throws for
 * a missing, stale or unsafe agent: the command then asks for the passphrase as without
 * one; `warn` says why an agent that is there was not used.
 */
export async function keyFromAgent(home: string, profile: string, warn: (line: string) => void): Promise<Buffer | null> {
  let frame: Frame;
  try {
    frame = await agentRequest(home, { op: 'get', profile });
  } catch (e) {
    if (e instanceof AgentAbsent) return null;
    warn(`emr: not using the key agent: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  if (frame.header.ok !== true || frame.payload.length !== 32) {
    frame.payload.fill(0);
    return null;
  }
  return frame.payload;
}
