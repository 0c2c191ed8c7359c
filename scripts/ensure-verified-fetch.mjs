#!/usr/bin/env node
// Installs the test-only third-party gateway client (@helia/verified-fetch 8.0.4, in
// test/verified-fetch) when it is missing, so `npm test` works on a fresh clone. Only npm
// packages are downloaded: `npm ci` from the committed lockfile, install scripts off
// (the one native module, node-datachannel, ships its prebuilt binary as an optional npm
// package, so optional packages stay on). Measured on Node 20: it loads only with undici
// overridden to 6.x (package.json "overrides") and Promise.withResolvers polyfilled
// (with-resolvers.mjs, preloaded by the test). Skipped when EMR_SKIP_VERIFIED_FETCH=1.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'verified-fetch');
const want = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies['@helia/verified-fetch'];

function installedVersion() {
  const pkg = join(dir, 'node_modules', '@helia', 'verified-fetch', 'package.json');
  return existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : undefined;
}

if (process.env.EMR_SKIP_VERIFIED_FETCH === '1' || installedVersion() === want) process.exit(0);
console.error(`ensure-verified-fetch: installing @helia/verified-fetch ${want} into test/verified-fetch (npm ci) …`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--prefix', dir, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  cwd: root,
});
if (r.status !== 0 || installedVersion() !== want) {
  console.error('ensure-verified-fetch: npm ci failed; the verified-fetch interop test cannot run');
  process.exit(r.status || 1);
}
