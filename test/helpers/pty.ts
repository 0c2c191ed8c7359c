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

export function emrInPty(args: string[], opts: { cols: number; rows?: number; timeoutMs?: number; env?: Record<string, string>; maxBytes?: number }): Promise<PtyRun> {
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
