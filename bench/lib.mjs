// The runner the end-to-end benches share (records.mjs, list-details.mjs): a temp home with
// one passphrase file per actor, the built binary timed by wall clock and by CPU (GNU time,
// user + sys: it barely moves with load on a shared machine), medians, and a cleanup that
// never leaves the bench's devnet anvil behind.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'emr.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * A bench in a fresh temp home: `emr(who, args)` runs the built binary as that actor (no
 * `who`: no profile, no passphrase), parses `data` when args hold --json; `run(cmd, args)`
 * times any process; `main(fn)` runs the bench, then stops the devnet and removes the home
 * (BENCH_KEEP=1 keeps it).
 */
export function bench(prefix, actors) {
  const home = mkdtempSync(join(tmpdir(), `emr-bench-${prefix}-`));
  const timeFile = join(home, 'time.out');
  const pw = {};
  for (const who of actors) {
    pw[who] = join(home, `${who}.pw`);
    writeFileSync(pw[who], `bench-pass-${who}-123\n`, { mode: 0o600 });
  }

  /** Runs a process to completion; resolves with its wall and CPU time in ms and its stdout. */
  function run(cmd, args, { stdout } = {}) {
    return new Promise((resolve, reject) => {
      const out = [];
      let err = '';
      const t0 = performance.now();
      const fd = stdout ? openSync(stdout, 'w') : undefined;
      const [c, a] = TIME ? [TIME, ['-f', '%U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
      const child = spawn(c, a, { stdio: ['ignore', fd ?? 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      child.stdout?.on('data', (d) => out.push(d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => {
        const ms = performance.now() - t0;
        if (fd !== undefined) closeSync(fd);
        const text = Buffer.concat(out).toString('utf8');
        if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} → exit ${code}: ${err}${text}`.slice(0, 2000)));
        const cpu = TIME
          ? readFileSync(timeFile, 'utf8')
              .trim()
              .split(/\s+/)
              .slice(-2)
              .reduce((x, y) => x + Number(y) * 1000, 0)
          : Number.NaN;
        resolve({ ms, cpu, stdout: text });
      });
    });
  }

  async function emr(who, args) {
    const base = ['--home', home, ...(who ? ['--profile', who, '--password-file', pw[who]] : [])];
    const r = await run(process.execPath, [BIN, ...base, ...args]);
    return { ms: r.ms, cpu: r.cpu, data: args.includes('--json') ? JSON.parse(r.stdout).data : undefined };
  }

  async function cleanup() {
    await emr('admin', ['devnet', 'down']).catch((e) => {
      // Never leave this run's anvil behind: stop the pid the devnet record names.
      console.error(`bench: devnet down failed (${e.message.split('\n')[0]}); stopping its anvil by pid`);
      try {
        const { pid } = JSON.parse(readFileSync(join(home, 'devnet', 'devnet.json'), 'utf8'));
        if (pid) process.kill(pid, 'SIGTERM');
      } catch {}
    });
    if (!process.env.BENCH_KEEP) rmSync(home, { recursive: true, force: true });
  }

  function main(fn) {
    fn()
      .then(cleanup)
      .catch(async (e) => {
        console.error(e.message);
        await cleanup();
        process.exitCode = 1;
      });
  }

  return { home, pw, run, emr, main };
}

/** The median every bench reports: of an even count, the mean of the two middle values. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmt = (ms) =>
  Number.isNaN(ms)
    ? 'n/a'
    : ms >= 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : ms >= 1000
        ? `${(ms / 1000).toFixed(2)} s`
        : `${ms.toFixed(0)} ms`;

export async function times(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await fn(i));
  return out;
}
