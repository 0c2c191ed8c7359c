/**
 * vitest globalSetup (docs/TESTING.md § 5): one directory per run under the OS temp dir,
 * `emr-suite-*`, that every test file's temp dir lives in (test/setup/file-temp.ts points
 * TMPDIR of each file, and of every process it starts, into it). At the end of the run the
 * directory MUST be empty: each file's own hook removed what the file made. Anything left
 * (a file whose worker died, a daemon that kept writing) fails the run, naming the paths,
 * and is removed all the same, so a run never leaves anything behind.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { killProcessesUnder } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    suiteTmp: string;
  }
}

let root: string | undefined;

export function setup(project: TestProject): void {
  root = mkdtempSync(join(tmpdir(), 'emr-suite-'));
  project.provide('suiteTmp', root);
}

export async function teardown(): Promise<void> {
  if (!root) return;
  const dir = root;
  root = undefined;
  const running = await killProcessesUnder(dir);
  // The shared worlds (test/helpers/shared-world.ts) are the run's own, made once for all files.
  const left = readdirSync(dir).filter((n) => !n.startsWith('world-'));
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  const problems = [
    ...left.map((n) => `left behind: ${join(dir, n)}`),
    ...running.map((p) => `still running: pid ${p.pid} ${p.cmd.slice(0, 200)}`),
  ];
  if (!problems.length) return;
  // A throw here alone is printed but does not change vitest's exit status: set it too.
  process.exitCode = 1;
  throw new Error(`the test run left things behind (removed now):\n${problems.join('\n')}`);
}
