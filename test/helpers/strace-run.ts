/**
 * Runs the built `emr` under `strace -f -qq -y` (the durability tests: STORAGE.md §
 * Durability), with the environment every test run gets (runEnv: no passphrase from the
 * shell reaches a child that does not need it). Read the trace with test/helpers/strace.ts.
 */
import { spawn } from 'node:child_process';
import { BIN, ROOT, runEnv } from './cli.js';

export function straceEmr(
  trace: string,
  args: readonly string[],
  o: { syscalls: string; stringBytes: number },
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const env = runEnv();
    const strace = ['-f', '-qq', '-y', '-s', String(o.stringBytes), '-o', trace, '-e', `trace=${o.syscalls}`];
    const child = spawn('strace', [...strace, process.execPath, BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}
