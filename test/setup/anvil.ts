/**
 * vitest globalSetup: compiles the contracts when artifacts/ is missing or older than
 * contracts/, starts ONE anvil on a port it binds itself for the whole run and provides its URL as
 * `inject('anvilUrl')`. Tests deploy their own contract and use their own fresh
 * accounts (funded with anvil_setBalance), so files never share nonces or state.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startAnvil } from '../../src/chain/anvil.js';
import { waitFor } from '../helpers/wait.js';

declare module 'vitest' {
  export interface ProvidedContext {
    anvilUrl: string;
  }
}

const root = join(import.meta.dirname, '..', '..');

function artifactsStale(): boolean {
  const art = join(root, 'artifacts', 'EmrAccess.json');
  if (!existsSync(art)) return true;
  const built = statSync(art).mtimeMs;
  return readdirSync(join(root, 'contracts'))
    .filter((f) => f.endsWith('.sol'))
    .some((f) => statSync(join(root, 'contracts', f)).mtimeMs > built);
}

let anvil: ChildProcess | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (artifactsStale()) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'compile-contracts.mjs')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('compiling contracts failed');
  }
  // anvil binds its own port (--port 0): no close-then-bind race with parallel test files.
  const started = await startAnvil({ port: 0 });
  anvil = started.child;
  project.provide('anvilUrl', started.url);
}

export async function teardown(): Promise<void> {
  if (!anvil || anvil.exitCode !== null) return;
  const child = anvil;
  child.kill('SIGTERM');
  await waitFor(() => child.exitCode !== null || child.signalCode !== null, { timeoutMs: 5_000, what: 'anvil to exit' }).catch(() =>
    child.kill('SIGKILL'),
  );
}
