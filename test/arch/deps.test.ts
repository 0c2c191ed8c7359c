/**
 * package.json `dependencies` are what the installed `emr` needs (README § Install; a global
 * install fetches every one of them), and nothing more. The installed command runs the
 * esbuild bundle (dist/bundle/, README § Build), so a package the bundle holds is a build
 * input: a devDependency, like the compiler. What the installed command loads at run time
 * is (1) what the bundle leaves external (dist/bundle-meta.json, the build's metafile) and
 * (2) what src/ loads through createRequire, which the bundler does not follow.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The package a specifier names: `@scope/name` or `name`. */
function packageOf(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Packages the bundle imports at run time (external), Node's own modules left out. */
function bundleExternals(): Set<string> {
  const meta = JSON.parse(readFileSync(join(root, 'dist', 'bundle-meta.json'), 'utf8')) as {
    outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
  };
  const builtin = new Set(builtinModules);
  const out = new Set<string>();
  for (const o of Object.values(meta.outputs)) {
    for (const i of o.imports) {
      if (!i.external || i.path.startsWith('node:') || builtin.has(i.path) || i.path.startsWith('.')) continue;
      out.add(packageOf(i.path));
    }
  }
  return out;
}

/** Packages src/ loads through createRequire (`…)('x')`, `require.resolve('x/…')`): the bundle does not hold them. */
function requiredAtRunTime(): Set<string> {
  const code = sources(join(root, 'src'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\/\*|\*)/.test(l))
    .join('\n');
  const out = new Set<string>();
  for (const m of code.matchAll(/(?:createRequire\([^)]*\)|require\.resolve)\(\s*(['"`])([^'"`$]+)\1/g)) out.add(packageOf(m[2]!));
  // A name built at run time: `@foundry-rs/anvil-${platform}-${arch}` is an optional
  // dependency of @foundry-rs/anvil, which is itself resolved by a literal.
  return out;
}

describe('dependencies (README § Install)', () => {
  it('every package the installed command loads is a runtime dependency', () => {
    const needed = new Set([...bundleExternals(), ...requiredAtRunTime()]);
    expect(needed.size).toBeGreaterThan(3); // the probes found the imports (zxcvbn, fhir, ora, anvil …)
    const missing = [...needed].filter((d) => !(d in pkg.dependencies)).sort();
    expect(missing).toEqual([]);
  });

  it('every runtime dependency is loaded by the installed command (a bundled or build-only package is a devDependency)', () => {
    const needed = new Set([...bundleExternals(), ...requiredAtRunTime()]);
    const extra = Object.keys(pkg.dependencies)
      .filter((d) => !needed.has(d))
      .sort();
    expect(extra).toEqual([]);
  });
});
