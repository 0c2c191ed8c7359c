#!/usr/bin/env node
// Installs the test-only IPFS daemon (js-ipfs 0.66.1, test/ipfs-daemon) when it is
// missing, so `npm test` works on a fresh clone. Only npm packages are downloaded:
// `npm ci` from the committed lockfile, optional WebRTC packages omitted (they would
// fetch from outside the registry) and install scripts off (none is needed: the one
// native module ships prebuilt binaries inside its npm package).
// Skipped when a Kubo `ipfs` binary is on PATH (the tests then use it) or when
// EMR_SKIP_IPFS_DAEMON=1.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'ipfs-daemon');
const want = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.ipfs;

function installedVersion() {
  const pkg = join(dir, 'node_modules', 'ipfs', 'package.json');
  if (!existsSync(pkg) || !existsSync(join(dir, 'node_modules', '.bin', 'jsipfs'))) return undefined;
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

function kuboOnPath() {
  const r = spawnSync('sh', ['-c', 'command -v ipfs'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

if (process.env.EMR_SKIP_IPFS_DAEMON === '1') {
  process.exit(0);
}
if (installedVersion() === want) {
  process.exit(0);
}
if (kuboOnPath()) {
  console.error('ensure-ipfs-daemon: a Kubo `ipfs` binary is on PATH; the tests will use it');
  process.exit(0);
}
console.error(`ensure-ipfs-daemon: installing js-ipfs ${want} into test/ipfs-daemon (npm ci) …`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--prefix', dir, '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', '--ignore-scripts'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  cwd: root,
});
if (r.status !== 0 || installedVersion() !== want) {
  console.error('ensure-ipfs-daemon: npm ci failed; the IPFS daemon tests cannot run');
  process.exit(r.status || 1);
}
