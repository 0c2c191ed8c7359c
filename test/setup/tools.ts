/**
 * vitest globalSetup (docs/TESTING.md § 6): the test-only tools installed from npm (the
 * js-ipfs daemon, @helia/verified-fetch, Hardhat) are installed while the first files run,
 * not before the run. On a fresh clone their three `npm ci` took 32–48 s of `npm test`
 * with nothing else to do (the suite then waited on them); most files need none of them.
 * Each scripts/ensure-<tool>.mjs runs as before (it returns at once when its tool is in
 * place); when one ends, its exit code is written to `<run dir>/tools/<tool>.code`, and a
 * file that needs the tool waits for that line (test/helpers/test-tools.ts). The run does
 * not end before every install has: a half-written node_modules would pass the next run's
 * check.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test/helpers/test-tools.ts reads each tool's install outcome. */
    testTools: string;
  }
}

export const TEST_TOOLS = ['ipfs-daemon', 'verified-fetch', 'hardhat-node'] as const;
export type TestTool = (typeof TEST_TOOLS)[number];

const scripts = join(import.meta.dirname, '..', '..', 'scripts');
let running: Array<Promise<void>> = [];
const children: ChildProcess[] = [];

export function setup(project: TestProject): void {
  const dir = join(project.getProvidedContext().suiteTmp, 'tools');
  mkdirSync(dir);
  project.provide('testTools', dir);
  running = TEST_TOOLS.map(
    (tool) =>
      new Promise<void>((resolve) => {
        const child = spawn(process.execPath, [join(scripts, `ensure-${tool}.mjs`)], { stdio: ['ignore', 'inherit', 'inherit'] });
        children.push(child);
        const done = (code: number) => {
          writeFileSync(join(dir, `${tool}.code`), String(code));
          resolve();
        };
        child.once('error', () => done(1));
        child.once('close', (code) => done(code ?? 1));
      }),
  );
}

export async function teardown(): Promise<void> {
  await Promise.all(running);
  running = [];
  children.length = 0;
}
