#!/usr/bin/env node
// Installs the test-only second EVM node (Hardhat 2's `hardhat node`, test/hardhat-node)
// when it is missing, so `npm test` works on a fresh clone and the chain flow is proven
// on a node that is not anvil (issue 13 point 6). Hardhat 2, not 3: Hardhat 3 needs
// Node 22, emr supports Node 20.19. Only npm packages are downloaded: `npm ci` from the
// committed lockfile with install scripts off (none is needed: keccak, the one package
// with an install script, falls back to its pure-JS build, and Hardhat's EDR ships its
// native binary inside npm packages). Measured here: 223 packages, 292 MB (EDR lists the
// binaries of all seven platforms as plain dependencies, ~220 MB of it), ~1.5 min.
// Skipped when EMR_SKIP_HARDHAT_NODE=1; the test then reports itself skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'hardhat-node');
const want = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.hardhat;

function installedVersion() {
  const pkg = join(dir, 'node_modules', 'hardhat', 'package.json');
  if (!existsSync(pkg) || !existsSync(join(dir, 'node_modules', '.bin', 'hardhat'))) return undefined;
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

if (process.env.EMR_SKIP_HARDHAT_NODE === '1') process.exit(0);
if (installedVersion() === want) process.exit(0);
console.error(`ensure-hardhat-node: installing hardhat ${want} into test/hardhat-node (npm ci) …`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--prefix', dir, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  cwd: root,
});
if (r.status !== 0 || installedVersion() !== want) {
  console.error(
    'ensure-hardhat-node: npm ci failed (offline, or the registry is unreachable); the second-EVM test ' +
      '(test/cli/second-evm.test.ts) cannot run. Retry when online, or set EMR_SKIP_HARDHAT_NODE=1 to skip it.',
  );
  process.exit(r.status || 1);
}
