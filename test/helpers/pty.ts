/**
 * Runs the built `emr` under a real pseudo-terminal (util-linux `script`) of a given size,
 * as cron's `script`, CI logs or `docker exec -t` do. Bounded in time and in bytes: a run
 * that overruns either is killed and reported as such (never a hang of the test suite).
 */
import { spawn } from 'node:child_process';
import { BIN, ROOT } from './cli.js';

export interface PtyRun {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr share the pty), capped. */
  output: string;
  bytes: number;
  timedOut: boolean;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function emrInPty(
  args: string[],
  opts: { cols: number; rows?: number; timeoutMs?: number; env?: Record<string, string>; maxBytes?: number },
): Promise<PtyRun> {
  const maxBytes = opts.maxBytes ?? 1 << 20;
  const cmd = `stty cols ${opts.cols} rows ${opts.rows ?? 24}; exec ${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}`;
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
    delete env.EMR_PASSWORD;
    delete env.EMR_PASSWORD_FILE;
    delete env.CI; // ora and friends turn themselves off under CI; a person's terminal is the case here
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const onData = (d: Buffer) => {
      bytes += d.length;
      if (bytes <= maxBytes) chunks.push(d);
      else kill();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8'), bytes, timedOut });
    });
    child.stdin.end();
  });
}

export interface DrivenRun {
  code: number;
  output: string;
}

/**
 * Runs `emr` under a pseudo-terminal and answers its prompts in order: each step waits for
 * the regex to appear in the output since the last answer, then types the text (end it
 * with '\r' for Enter). Code 124: the run overran its deadline.
 */
export function emrDriven(
  args: string[],
  steps: Array<[RegExp, string]>,
  opts: { cols?: number; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<DrivenRun> {
  const spec = {
    argv: [process.execPath, BIN, ...args],
    cols: opts.cols ?? 100,
    rows: 30,
    timeout: (opts.timeoutMs ?? 60_000) / 1000,
    steps: steps.map(([re, text]) => [re.source, text]),
  };
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', ...opts.env })) if (v !== undefined) env[k] = v;
    delete env.EMR_PASSWORD;
    delete env.EMR_PASSWORD_FILE;
    const child = spawn('python3', [new URL('./pty-drive.py', import.meta.url).pathname, JSON.stringify(spec)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output: Buffer.concat(out).toString('utf8') }));
  });
}
