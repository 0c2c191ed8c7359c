#!/usr/bin/env node
// `npm run build`: compile the contracts offline with solc-js (artifacts/ is generated,
// not committed: see README § Build), then the TypeScript sources into dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
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
  // The ABI as a typed constant for tsc (src/chain/abi.generated.ts), from the fresh artifact.
  run(process.execPath, [join(root, 'scripts/gen-abi.mjs')]);
}
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root]);

// A stale dist/ file could hide a deleted module: drop outputs whose source is gone. (Not
// `rm -rf dist` first: a running `emr` or a parallel test would see dist/ vanish.)
function prune(dir, srcDir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const out = join(dir, e.name);
    if (e.isDirectory()) {
      prune(out, join(srcDir, e.name));
      continue;
    }
    const base = e.name.replace(/\.js(\.map)?$/, '');
    if (base !== e.name && !existsSync(join(srcDir, `${base}.ts`))) rmSync(out, { force: true });
  }
}
prune(join(root, 'dist'), join(root, 'src'));
