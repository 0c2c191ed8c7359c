#!/usr/bin/env node
// pretest: the test-only tools (docs/TESTING.md § 6), each installed by its own script when
// missing, the four at once. On a fresh clone the three `npm ci` runs took 67 s one after
// the other (31 + 25 + 11 s), inside the 8 minutes `npm test` is held to; they fetch and
// unpack independently (npm's cache is safe to share), so together they take about the
// longest one. The first failure is reported and fails the pretest, as before.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const scripts = ['ensure-ipfs-daemon.mjs', 'ensure-verified-fetch.mjs', 'ensure-hardhat-node.mjs', 'ensure-chromium.mjs'];
const codes = await Promise.all(
  scripts.map(
    (s) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [join(here, s)], { stdio: 'inherit' });
        child.on('error', () => resolve(1));
        child.on('close', (code) => resolve(code ?? 1));
      }),
  ),
);
const failed = scripts.filter((_, i) => codes[i] !== 0);
if (failed.length) {
  console.error(`ensure-test-tools: ${failed.join(', ')} failed`);
  process.exit(1);
}
