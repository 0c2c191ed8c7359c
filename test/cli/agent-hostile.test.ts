// The key agent against accidents and hostile states of its directory (docs/KEYSTORE.md
// § 6.9–6.11, issue 20 § 8 and § 13), through the binary: an exiting agent and a newer one
// on the same path, the agent directory removed or opened to others while an agent holds
// keys, a pid file naming a process that is not the agent, and a home too long for a socket.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EmrRun, emr, tempHome } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const t = tempHome();
const pw = t.pw('alice');
const withPass = ['--home', t.home, '--profile', 'alice', '--password-file', pw, '--json'];
const noPass = ['--home', t.home, '--profile', 'alice', '--json'];
const dir = join(t.home, 'agent');
const sock = join(dir, 'agent.sock');
const started: number[] = [];

const ok = (r: EmrRun) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return r.json!.data;
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function start(): Promise<number> {
  const d = ok(await emr([...withPass, 'agent', 'start', '--timeout', '10m']));
  started.push(d.pid);
  return d.pid;
}

beforeAll(async () => {
  ok(await emr([...withPass, 'keygen', '--name', 'alice', '--role', 'patient']));
}, 60_000);

afterEach(async () => {
  if (existsSync(dir)) chmodSync(dir, 0o700);
  await emr([...noPass, 'agent', 'stop']);
  // Whatever a failed assertion left running: these pids are the agents this file started.
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

afterAll(() => {
  rmSync(t.home, { recursive: true, force: true });
});

describe('the agent is never orphaned holding keys (KEYSTORE.md § 6.9, 6.10, 6.5; issue 20 § 8)', () => {
  it('6.9 MUST: an exiting agent removes only its own socket: a newer agent on the same path keeps running and reachable', async () => {
    const a = await start();
    // Its files removed under it (what the old hint said), then a second agent on the path.
    rmSync(dir, { recursive: true, force: true });
    const b = await start();
    expect(b).not.toBe(a);
    // The first one exits now (or has already: § 6.10), and must not take b's socket along.
    if (alive(a)) process.kill(a, 'SIGTERM');
    await waitFor(() => !alive(a), { timeoutMs: 30_000, intervalMs: 50, what: 'the first agent to exit' });
    expect(existsSync(sock)).toBe(true);
    expect(ok(await emr([...noPass, 'agent', 'status']))).toMatchObject({ running: true, pid: b });
    expect(ok(await emr([...noPass, 'agent', 'stop']))).toMatchObject({ stopped: true });
    await waitFor(() => !alive(b), { timeoutMs: 30_000, intervalMs: 50, what: 'the second agent to exit' });
  });

  it('6.10 MUST: an agent whose socket is removed (its directory deleted) forgets its keys and exits', async () => {
    const a = await start();
    rmSync(dir, { recursive: true, force: true });
    await waitFor(() => !alive(a), { timeoutMs: 15_000, intervalMs: 50, what: 'the unreachable agent to exit' });
  });

  it('6.5 MUST: `agent stop` stops the agent it started even when the directory is no longer private (0755), and says why; the hint never says to remove the directory first', async () => {
    const a = await start();
    chmodSync(dir, 0o755);
    // Commands and status refuse the unsafe files, and point at `agent stop`.
    const st = await emr([...noPass, 'agent', 'status']);
    expect(st.code).toBe(2);
    expect(st.json!.error!.hint).toMatch(/emr agent stop/);
    expect(st.json!.error!.hint).not.toMatch(/^remove/);
    const r = ok(await emr([...noPass, 'agent', 'stop']));
    expect(r).toMatchObject({ stopped: true });
    expect(r.warning).toMatch(/not private/);
    await waitFor(() => !alive(a), { timeoutMs: 15_000, intervalMs: 50, what: 'the agent to exit' });
    const human = await emr(['--home', t.home, 'agent', 'stop']);
    expect(human.code).toBe(0);
  });

  it("6.9 MUST NOT: a pid file naming a live process that is not this home's agent (a reused pid, a forged file) is never signalled", async () => {
    const decoy = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(`/proc/${decoy.pid}/stat`), { timeoutMs: 10_000, intervalMs: 20, what: 'the decoy to start' });
      const stat = readFileSync(`/proc/${decoy.pid}/stat`, 'latin1');
      const token = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const start of [token, '1']) {
        writeFileSync(join(dir, 'agent.pid'), JSON.stringify({ pid: decoy.pid, start }) + '\n', { mode: 0o600 });
        expect(ok(await emr([...noPass, 'agent', 'stop']))).toMatchObject({ stopped: false });
        chmodSync(dir, 0o755);
        expect(ok(await emr([...noPass, 'agent', 'stop']))).toMatchObject({ stopped: false });
        chmodSync(dir, 0o700);
      }
      expect(alive(decoy.pid!)).toBe(true);
    } finally {
      decoy.kill('SIGKILL');
    }
  });
});

describe('a home too long for a Unix socket (KEYSTORE.md § 6.11; issue 20 § 13)', () => {
  it('6.11 MUST: `agent start` under a home whose socket path exceeds the limit fails at once (exit 2) with the reason and a shorter-home hint; no socket is made anywhere', async () => {
    const deep = join(t.home, 'd'.repeat(60), 'e'.repeat(40));
    mkdirSync(deep, { recursive: true });
    const longPw = join(deep, 'a.pw');
    writeFileSync(longPw, 'pass-for-alice-123\n', { mode: 0o600 });
    const args = ['--home', deep, '--profile', 'alice', '--password-file', longPw, '--json'];
    ok(await emr([...args, 'keygen', '--name', 'alice', '--role', 'patient']));
    const r = await emr([...args, 'agent', 'start']);
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.json!.error!.message).toMatch(/socket path would be \d+ bytes, over the 10\d a Unix socket allows/);
    expect(r.json!.error!.hint).toMatch(/shorter|at most \d+ bytes/);
    expect(r.json!.error!.hint).toMatch(/--home/);
    // Nothing at the full path nor at the path bind(2) would have cut it to.
    expect(existsSync(join(deep, 'agent', 'agent.sock'))).toBe(false);
    const cut = Buffer.from(join(deep, 'agent', 'agent.sock'))
      .subarray(0, 107)
      .toString();
    expect(existsSync(cut)).toBe(false);
    // The home stays usable: status says no agent, no error.
    expect(ok(await emr([...args, 'agent', 'status']))).toMatchObject({ running: false });
    // A home at the limit works (a symlink to this one at a short path, as the hint says).
    const link = join(t.home, 'h');
    symlinkSync(deep, link);
    const d = ok(
      await emr(['--home', link, '--profile', 'alice', '--password-file', longPw, '--json', 'agent', 'start', '--timeout', '1m']),
    );
    started.push(d.pid);
    expect(statSync(join(link, 'agent', 'agent.sock')).isSocket()).toBe(true);
    ok(await emr(['--home', link, '--json', 'agent', 'stop']));
  });
});
