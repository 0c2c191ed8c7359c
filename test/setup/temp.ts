/**
 * vitest globalSetup (docs/TESTING.md § 5): one directory per run, `emr-suite-*`, on a
 * memory filesystem when the machine has room for one (suiteParent below), else under the
 * OS temp dir; every test file's temp dir lives in it (test/setup/file-temp.ts points
 * TMPDIR of each file, and of every process it starts, into it). At the end of the run the
 * directory MUST be empty: each file's own hook removed what the file made. Anything left
 * (a file whose worker died, a daemon that kept writing) fails the run, naming the paths,
 * and is removed all the same, so a run never leaves anything behind.
 */
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { killProcessesUnder } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    suiteTmp: string;
  }
}

let root: string | undefined;

/** statfs(2) f_type of tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994;
/**
 * The run holds up to ~3.5 GB at once (two files side by side, the 384 MiB round trips of
 * memory.test among them): a memory filesystem is used only with twice that free in it
 * and in RAM.
 */
const ROOM = 8 * 2 ** 30;

/**
 * docs/TESTING.md § 5: where the run's directory goes. The suite writes and fsyncs
 * keystores, journals, stores and 384 MiB files thousands of times; on the disk's
 * filesystem that cost 412 s of vitest against 380 s on tmpfs, same tests, same machine
 * (2026-12-05). Nothing the tests check depends on a disk: a crash is a killed process,
 * not a lost machine, and fsync(2) is still called (batch-durability traces it).
 * `EMR_TEST_TMPDIR` names the parent outright (`EMR_TEST_TMPDIR=/tmp` for the disk).
 */
export function suiteParent(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EMR_TEST_TMPDIR) return env.EMR_TEST_TMPDIR;
  try {
    const shm = '/dev/shm';
    const fs = statfsSync(shm);
    accessSync(shm, constants.W_OK);
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize >= ROOM && freemem() >= ROOM) return shm;
  } catch {
    // no /dev/shm here (not Linux, or not writable): the OS temp dir
  }
  return tmpdir();
}

export function setup(project: TestProject): void {
  root = mkdtempSync(join(suiteParent(), 'emr-suite-'));
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
