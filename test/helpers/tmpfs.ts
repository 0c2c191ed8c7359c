/**
 * A real full filesystem for the "full disk" tests (issue 8 point 18): a tmpfs of `size`
 * (mount(8) syntax, e.g. '64k') on a fresh temp directory, unmounted and removed after the
 * file's tests. Mounting needs root; elsewhere `mounted` is false and the tests skip visibly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function tinyTmpfs(size: string): { dir: string; mounted: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'emr-full-'));
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    mounted = true;
  } catch {
    // not root: the caller's skipIf
  }
  afterAll(() => {
    if (mounted) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, mounted };
}
