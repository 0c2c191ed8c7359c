// The opt-in key agent (docs/KEYSTORE.md § 6), through the binary: no chain needed, the
// agent is exercised by `emr encrypt` / `emr decrypt`, which unlock the acting profile.

import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { HDNodeWallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmrRun, emr, tempHome } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const t = tempHome();
const pw = t.pw('alice');
const withPass = ['--home', t.home, '--profile', 'alice', '--password-file', pw, '--json'];
const noPass = ['--home', t.home, '--profile', 'alice', '--json'];
const sock = join(t.home, 'agent', 'agent.sock');
const secretFile = join(t.home, 'agent', 'agent.secret');
let bundle = '';
let privateKeyHex = '';
let n = 0;
/** decrypt without a passphrase source, to a fresh file. */
const decryptNoPass = () => emr([...noPass, 'decrypt', bundle, '-o', join(t.home, `out-${++n}.txt`)]);

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

async function until(cond: () => boolean, what: string): Promise<void> {
  await waitFor(cond, { timeoutMs: 30_000, intervalMs: 100, what });
}

/** A raw request to the socket, as another program would send it. */
function raw(line: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('close', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
    s.on('connect', () => s.write(line));
  });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

beforeAll(async () => {
  const k = ok(await emr([...withPass, 'keygen', '--name', 'alice', '--role', 'patient', '--show-mnemonic']));
  privateKeyHex = HDNodeWallet.fromPhrase(k.mnemonic).privateKey.slice(2);
  const plain = join(t.home, 'note.txt');
  writeFileSync(plain, 'agent test record\n');
  bundle = join(t.home, 'note.age');
  ok(await emr([...withPass, 'encrypt', plain, '--to', 'alice', '-o', bundle]));
}, 120_000);

afterAll(async () => {
  await emr([...noPass, 'agent', 'stop']);
});

describe('emr agent (KEYSTORE.md § 6)', () => {
  it('without an agent, a command that needs the key and has no passphrase fails at once (exit 2)', async () => {
    const r = await decryptNoPass();
    expect(r.code).toBe(2);
    expect(r.json!.error!.hint).toContain('--password-file');
    expect(ok(await emr([...noPass, 'agent', 'status']))).toMatchObject({ running: false, profiles: [] });
  });

  it('6.1 start keeps the key behind a 0600 socket in a 0700 directory; commands then need no passphrase', async () => {
    // The passphrase in the environment: the agent must not inherit it (6.2).
    const d = ok(await emr([...noPass, 'agent', 'start', '--timeout', '10m'], { env: { EMR_PASSWORD: 'pass-for-alice-123' } }));
    expect(d).toMatchObject({ running: true, started: true, idleTimeoutSeconds: 600, socket: sock });
    expect(d.profiles.map((p: { name: string }) => p.name)).toEqual(['alice']);
    expect(statSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.home, 'agent')).mode & 0o777).toBe(0o700);
    const r = await decryptNoPass();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = await emr(['--home', t.home, '--profile', 'alice', 'decrypt', bundle, '-o', '-']);
    expect(out.stdout).toContain('agent test record');
    const st = ok(await emr([...noPass, 'agent', 'status']));
    expect(st).toMatchObject({ running: true, pid: d.pid });
  });

  it('6.2 the key is never written to disk, and the agent does not inherit the passphrase env', async () => {
    const st = ok(await emr([...noPass, 'agent', 'status']));
    const keyBytes = Buffer.from(privateKeyHex, 'hex');
    for (const f of filesUnder(t.home)) {
      const b = readFileSync(f);
      expect(b.includes(keyBytes), f).toBe(false);
      expect(b.toString('latin1').toLowerCase().includes(privateKeyHex), f).toBe(false);
    }
    const env = readFileSync(`/proc/${st.pid}/environ`, 'latin1');
    expect(env).not.toContain('EMR_PASSWORD');
  });

  it('6.3 a request without the per-start secret gets nothing', async () => {
    const answer = await raw(JSON.stringify({ op: 'get', profile: 'alice', secret: '00'.repeat(32) }) + '\n');
    const text = answer.toString('latin1');
    expect(text).toContain('not authorised');
    expect(answer.includes(Buffer.from(privateKeyHex, 'hex'))).toBe(false);
    // Garbage and an oversized header are dropped without an answer; the agent stays up.
    await raw('x'.repeat(10_000));
    await raw('{"op":"get","bytes":1000000}\n');
    expect(ok(await emr([...noPass, 'agent', 'status'])).running).toBe(true);
  });

  it('6.4 a socket open to others is not used: the command falls back to the passphrase and says why', async () => {
    chmodSync(sock, 0o666);
    try {
      const r = await decryptNoPass();
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not using the key agent: .*not a private socket/);
      const withP = await emr([...withPass, 'decrypt', bundle, '-o', join(t.home, `out-${++n}.txt`)]);
      expect(withP.code, withP.stderr).toBe(0);
    } finally {
      chmodSync(sock, 0o600);
    }
    chmodSync(secretFile, 0o644);
    try {
      const r = await decryptNoPass();
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not a private file/);
    } finally {
      chmodSync(secretFile, 0o600);
    }
  });

  it('6.5 stop: the agent exits, removes its socket and secret; the passphrase is needed again', async () => {
    const pid = ok(await emr([...noPass, 'agent', 'status'])).pid;
    expect(ok(await emr([...noPass, 'agent', 'stop']))).toMatchObject({ stopped: true });
    await until(() => !alive(pid), 'the agent process to exit');
    expect(existsSync(sock)).toBe(false);
    expect(existsSync(secretFile)).toBe(false);
    expect((await decryptNoPass()).code).toBe(2);
    expect(ok(await emr([...noPass, 'agent', 'stop']))).toMatchObject({ stopped: false });
  });

  it('6.6 a stale socket (agent killed) is ignored by commands and replaced by the next start', async () => {
    const d = ok(await emr([...withPass, 'agent', 'start']));
    expect(d.idleTimeoutSeconds).toBe(900);
    process.kill(d.pid, 'SIGKILL');
    await until(() => !alive(d.pid), 'the agent to die');
    expect(existsSync(sock)).toBe(true);
    const r = await decryptNoPass();
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('key agent');
    const again = ok(await emr([...withPass, 'agent', 'start']));
    expect(again.started).toBe(true);
    expect((await decryptNoPass()).code).toBe(0);
    ok(await emr([...noPass, 'agent', 'stop']));
    // status on a stale socket reports it and cleans it up.
    const e = ok(await emr([...withPass, 'agent', 'start']));
    process.kill(e.pid, 'SIGKILL');
    await until(() => !alive(e.pid), 'the agent to die');
    expect(ok(await emr([...noPass, 'agent', 'status']))).toMatchObject({ running: false, staleRemoved: true });
    expect(existsSync(sock)).toBe(false);
  });

  it('6.7 after its idle time the agent forgets its keys and exits', async () => {
    const d = ok(await emr([...withPass, 'agent', 'start', '--timeout', '1s']));
    await until(() => !alive(d.pid), 'the idle agent to exit');
    expect(existsSync(sock)).toBe(false);
    expect((await decryptNoPass()).code).toBe(2);
  });

  it('bad --timeout and a wrong passphrase start nothing', async () => {
    const r = await emr([...withPass, 'agent', 'start', '--timeout', '3d']);
    expect(r.code).toBe(2);
    expect(r.json!.error!.hint).toContain('15m');
    const bad = t.pw('wrong', 'not-the-passphrase');
    const w = await emr(['--home', t.home, '--profile', 'alice', '--password-file', bad, '--json', 'agent', 'start']);
    expect(w.code).toBe(5);
    expect(existsSync(sock)).toBe(false);
  });
});
