#!/usr/bin/env node
// Installs the browser the web-view tests drive (test/ui/, docs/UI.md § 5): Debian's
// `chromium`, driven by playwright-core (a devDependency; it downloads no browser of its
// own). Run by `npm test`'s pretest and by .ci/run. When no chromium is on PATH and this
// runs as root where apt-get exists (CI, a fresh Debian machine), it installs the package;
// otherwise it says how and exits 0: the browser tests then report themselves skipped with
// the same message. EMR_CHROMIUM names another binary; EMR_SKIP_BROWSER=1 skips the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const found = () => [process.env.EMR_CHROMIUM, ...CANDIDATES].find((p) => p && existsSync(p));

if (process.env.EMR_SKIP_BROWSER === '1' || found()) process.exit(0);
const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (!root || !existsSync('/usr/bin/apt-get')) {
  console.error('ensure-chromium: no chromium found; the browser tests (test/ui) will be skipped. Install it: apt-get install chromium');
  process.exit(0);
}
console.error('ensure-chromium: installing Debian chromium (apt-get) for the browser tests …');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env }) : update;
if (install.status !== 0 || !found())
  console.error('ensure-chromium: apt-get could not install chromium; the browser tests (test/ui) will be skipped.');
