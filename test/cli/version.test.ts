// `emr --version` prints the version package.json names (issue 27: it was a second copy in
// src/cli.ts). Run from a copy of the package whose package.json says another version.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('emr --version', () => {
  it('is the version in package.json, read where the package is installed', () => {
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const here = spawnSync(process.execPath, [join(ROOT, 'bin', 'emr.js'), '--version'], { encoding: 'utf8' });
    expect(here.status).toBe(0);
    expect(here.stdout.trim()).toBe(own.version);
    const copy = mkdtempSync(join(tmpdir(), 'emr-version-'));
    try {
      cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
      cpSync(join(ROOT, 'dist', 'bundle'), join(copy, 'dist', 'bundle'), { recursive: true });
      writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...own, version: '9.8.7-test.1' }));
      const r = spawnSync(process.execPath, [join(copy, 'bin', 'emr.js'), '--version'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('9.8.7-test.1');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
