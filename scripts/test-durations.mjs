#!/usr/bin/env node
// `npm run test:durations` (docs/TESTING.md § 6): writes test/durations.json, each test
// file's duration in its last run here (vitest's own cache), for test/setup/sequencer.ts
// to start the longest files first on a clone that has no cache yet (CI). Run it after a
// whole `npm test`; files that no longer exist are dropped, files never run here are left
// out (the sequencer gives them a middling weight).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.vite', 'vitest');
const caches = existsSync(cacheDir)
  ? readdirSync(cacheDir)
      .map((d) => join(cacheDir, d, 'results.json'))
      .filter(existsSync)
  : [];
if (!caches.length) {
  console.error('test-durations: no vitest cache here yet: run `npm test` first');
  process.exit(1);
}
const out = {};
for (const file of caches) {
  const { results } = JSON.parse(readFileSync(file, 'utf8'));
  for (const [key, r] of results) {
    const path = key.slice(key.indexOf(':') + 1);
    if (!path.endsWith('.test.ts') || !existsSync(join(root, path)) || typeof r?.duration !== 'number') continue;
    out[path] = Math.round(r.duration / 100) * 100;
  }
}
const sorted = Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
writeFileSync(join(root, 'test', 'durations.json'), `${JSON.stringify(sorted, null, 2)}\n`);
console.error(`test-durations: ${Object.keys(sorted).length} files written to test/durations.json`);
