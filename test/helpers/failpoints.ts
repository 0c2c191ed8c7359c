/**
 * Arms test-only failpoints (docs/TESTING.md § Failpoints) for one `emr` run: the env to
 * pass to `emr()`. Names are checked by tsc against src/failpoint.ts FAILPOINTS.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Failpoint } from '../../src/failpoint.js';
import { BIN } from './cli.js';
import { waitFor } from './wait.js';

/** `name` (the first visit) or `name:n` (the n-th visit). */
export type FailpointSpec = Failpoint | `${Failpoint}:${number}`;

export function failpoints(...specs: FailpointSpec[]): Record<string, string> {
  return { EMR_TEST: '1', EMR_FAILPOINTS: specs.join(',') };
}

/** What a run stopped at a failpoint did once it was continued. */
export interface StoppedRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
  /** It reached the failpoint and stopped there (else it ended before). */
  stopped: boolean;
}

/** /proc/<pid>/stat's state letter ('T' = stopped), or null when the process is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/**
 * Runs `emr args --json` with `spec` armed to STOP (EMR_FAILPOINT_ACTION=stop, docs/TESTING.md
 * § 3): when the process stops there, `fault()` runs (SIGKILL the store, the chain) and the
 * process is continued, so the real fault meets it at exactly that moment. A run that does
 * not end within `timeoutMs` after that is SIGKILLed (code -1): a hang is a failure, and no
 * process outlives the test.
 */
export async function runStoppedAt(
  args: string[],
  spec: FailpointSpec,
  fault: (pid: number) => Promise<void>,
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<StoppedRun> {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...opts.env, ...failpoints(spec), EMR_FAILPOINT_ACTION: 'stop' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const done = new Promise<number>((r) =>
    child.on('close', (code) => {
      exited = true;
      r(code ?? -1);
    }),
  );
  let stopped = false;
  const pid = child.pid!;
  try {
    await waitFor(() => exited || (stopped = procState(pid) === 'T'), { timeoutMs: 180_000, intervalMs: 20, what: `emr to reach ${spec}` });
  } catch (e) {
    child.kill('SIGKILL');
    await done;
    throw e;
  }
  if (stopped) {
    try {
      await fault(pid);
    } finally {
      child.kill('SIGCONT');
    }
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const code = await done;
  clearTimeout(timer);
  let json: any;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json, stopped };
}
