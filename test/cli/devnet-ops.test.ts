// The devnet's processes (DEVNET.md § Child processes, § Stopping, § Locks): the detached
// anvil carries no secret in its environment, `devnet down` signals only our anvil, and
// two `devnet up` at once cannot both start one.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

const PASS = 'env-secret-Kx9!vQ2#mZ7-devnet';
const t = tempHome();
const env = { EMR_PASSWORD: PASS };
const run = (args: string[]) => emr(['--home', t.home, '--profile', 'admin', ...args, '--json'], { env });
const children: ChildProcess[] = [];

beforeAll(async () => {
  const k = await run(['keygen', '--name', 'admin', '--role', 'admin']);
  expect(k.code, k.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await emr(['--home', t.home, 'devnet', 'down']);
  for (const c of children) c.kill('SIGKILL');
});

describe('devnet processes', () => {
  it('two `devnet up` at the same instant: one starts the devnet, the other exits 6 naming the lock holder (DEVNET.md § Locks)', async () => {
    const [a, b] = await Promise.all([run(['devnet', 'up']), run(['devnet', 'up'])]);
    const codes = [a.code, b.code].sort();
    expect(codes, a.stderr + b.stderr).toEqual([0, 6]);
    const loser = a.code === 6 ? a : b;
    expect(loser.json?.error?.code).toBe('UNAVAILABLE');
    expect(loser.json?.error?.message).toMatch(/already running \(pid \d+\)/);
    expect(existsSync(join(t.home, 'devnet', 'devnet.lock'))).toBe(false);
    // The winner's devnet is up and a later `up` is fine.
    const again = await run(['devnet', 'up']);
    expect(again.code, again.stderr).toBe(0);
  }, 120_000);

  it('EMR_PASSWORD never reaches the detached anvil: /proc/<pid>/environ holds no EMR_* and no passphrase (DEVNET.md § Child processes)', async () => {
    const st = await run(['devnet', 'status']);
    expect(st.code, st.stderr).toBe(0);
    const pid = JSON.parse(readFileSync(join(t.home, 'devnet', 'devnet.json'), 'utf8')).pid as number;
    expect(pid).toBeGreaterThan(0);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(environ).not.toContain(PASS);
    expect(environ).not.toMatch(/(^|\0)EMR_/);
    expect(environ).toContain('PATH=');
  });

  it('`devnet down` does not signal a process that took over the recorded PID (DEVNET.md § Stopping)', async () => {
    const down = await run(['devnet', 'down']);
    expect(down.json?.data.stopped).toBe(true);
    // Another program now holds the PID the record names.
    const other = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(other);
    const path = join(t.home, 'devnet', 'devnet.json');
    const rec = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...rec, pid: other.pid }));
    const r = await run(['devnet', 'down']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.data.stopped).toBe(false);
    expect(other.exitCode).toBe(null);
    expect(() => process.kill(other.pid!, 0)).not.toThrow();
    // `status` does not take it for the devnet either.
    writeFileSync(path, JSON.stringify({ ...rec, pid: other.pid }));
    const st = await run(['devnet', 'status']);
    expect(st.json?.data.running).toBe(false);
  }, 60_000);
});
