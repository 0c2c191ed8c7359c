/**
 * README § Build and layout, checked: the floors, the no-circle rule and the rule that every
 * module is reached from an entry point live in .dependency-cruiser.cjs (run here and by
 * `npm run lint`); the lazy-loading boundary and the size of a command file are counted here.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Lines of code (blank lines and comments not counted), as Biome formats them at 140 columns. */
const COMMAND_LINES_MAX = 70;
const codeLines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !/^\s*(\/\/|\/\*|\*)/.test(l)).length;

describe('layout', () => {
  // Below the commands a module of ours is never loaded lazily. A heavy third-party package
  // that one path of a module needs may be (ethers for a transaction, never for a bundle
  // signature; the prompt and spinner packages, only at a terminal; zxcvbn, only for a new
  // passphrase; blockstore-fs and the UnixFS importer, which a Kubo-backed run never uses):
  // each such line says why beside it, and test/cli/startup-imports.test.ts checks the result.
  it('MUST: no `await import(` of our own modules below src/commands (a command file is the one lazy-loading boundary)', () => {
    const lazy = files(src)
      .filter((f) => !relative(src, f).startsWith('commands/'))
      .filter((f) => /\bimport\(\s*['"]\./.test(readFileSync(f, 'utf8').replace(/import\('[^']+'\)\.\w+/g, '')))
      .map((f) => relative(root, f));
    expect(lazy).toEqual([]);
  });

  // A role's index.ts is not a command: it only lists the role's commands (one import each,
  // test/arch/command-files.test.ts), so it grows with the role and is not counted.
  it(`MUST: a command file is at most ${COMMAND_LINES_MAX} lines of code (it parses options and calls one flow)`, () => {
    const long = files(join(src, 'commands'))
      .filter((f) => !/^[^/]+\/index\.ts$/.test(relative(join(src, 'commands'), f).split('\\').join('/')))
      .map((f) => ({ f: relative(root, f), n: codeLines(readFileSync(f, 'utf8')) }))
      .filter((x) => x.n > COMMAND_LINES_MAX);
    expect(long).toEqual([]);
  });

  it('MUST: the import graph of src/ has no circle and no upward arrow (type-only imports included), and every module is reached from an entry point', () => {
    const bin = join(root, 'node_modules', '.bin', 'depcruise');
    let out = '';
    try {
      out = execFileSync(bin, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root, encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(out).not.toMatch(/error/);
  });
});
