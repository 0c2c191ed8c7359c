#!/usr/bin/env node
// `npm run build`: compile the contracts offline with solc-js (artifacts/ is generated,
// not committed: see README § Build), then the TypeScript sources into dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`build: ${[cmd, ...args].join(' ')} failed (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
}

if (existsSync(join(root, 'scripts/compile-contracts.mjs'))) {
  run(process.execPath, [join(root, 'scripts/compile-contracts.mjs')]);
}
// A stale dist/ can hide a deleted module; rebuild from scratch (tsc takes seconds).
rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root]);
