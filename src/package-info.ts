/**
 * emr's own package.json: where it is (the package root, above src/, dist/ and
 * dist/bundle/) and the version it names, the one `emr --version` prints. Found from this
 * module's URL, so the same code works from src/ (vitest), dist/ and the bundle.
 *
 * Base floor: node builtins and errors.ts only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from './errors.js';

let found: { root: string; version: string } | undefined;

function find(from: string): { root: string; version: string } {
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const j = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (j.name === 'emr') return { root: dir, version: String(j.version ?? '0.0.0') };
      } catch {
        // not ours; keep walking up
      }
    }
    dir = dirname(dir);
  }
  throw new InternalError('cannot find the emr package root', {
    hint: 'reinstall emr; its package.json must sit above dist/',
  });
}

/** The directory holding emr's package.json, found above `from` (a module URL; default this one). */
export function packageRoot(from?: string): string {
  if (from !== undefined && from !== import.meta.url) return find(from).root;
  found ??= find(import.meta.url);
  return found.root;
}

/** The version in emr's package.json (`emr --version`). */
export function packageVersion(): string {
  found ??= find(import.meta.url);
  return found.version;
}
