/**
 * package.json `dependencies` are what the installed `emr` needs (README § Install; a global
 * install fetches every one of them); a package only tests or benches use belongs in
 * `devDependencies`. Checked by looking for each name as a module specifier in src/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Runtime dependencies that src/ does not name as a module specifier, and why they are needed. */
const NEEDED_OTHERWISE: Record<string, string> = {
  '@foundry-rs/anvil': 'src/chain/anvil.ts resolves its per-platform package (@foundry-rs/anvil-<os>-<arch>) by a built name',
  solc: 'the prepare script (scripts/build.mjs) compiles contracts/ with it when the package is installed from a clone',
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('dependencies', () => {
  it('every runtime dependency is loaded by src/ (a test-only package is a devDependency)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // Code lines only: a comment naming a package is not a use of it.
    const code = sources(join(root, 'src'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n')
      .split('\n')
      .filter((l) => !/^\s*(\/\/|\/\*|\*)/.test(l))
      .join('\n');
    const unused = Object.keys(pkg.dependencies).filter((d) => {
      if (d in NEEDED_OTHERWISE) return false;
      const name = d.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      return !new RegExp(`['"\`]${name}(/[^'"\`]*)?['"\`]`).test(code);
    });
    expect(unused).toEqual([]);
  });
});
