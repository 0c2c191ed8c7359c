#!/usr/bin/env node
// `npm run build`: compile the contracts offline with solc-js (artifacts/ is generated,
// not committed: see README § Build), then the TypeScript sources into dist/ (tsc: checked,
// one file per module, what the tests import), then the bundle bin/emr.js runs
// (dist/bundle/, esbuild).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Up to date: the same inputs as the last build that finished (a content hash, written last),
// and its outputs present. `npm install` builds (prepare) and `npm test` builds again
// (pretest): the second was ~25 CPU-s of nothing new. `--force` builds anyway.
const STAMP = join(root, 'dist', '.build-inputs');
function inputsHash() {
  const h = createHash('sha256');
  const add = (path) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const e of readdirSync(path).sort()) add(join(path, e));
      return;
    }
    h.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const p of [
    'src',
    'contracts',
    'scripts/build.mjs',
    'scripts/compile-contracts.mjs',
    'scripts/gen-abi.mjs',
    'tsconfig.json',
    'package.json',
    'package-lock.json',
  ])
    add(join(root, p));
  return h.digest('hex');
}
const outputs = ['dist/bundle/cli.js', 'dist/cli.js', 'dist/bundle-meta.json', 'artifacts'].map((p) => join(root, p));
if (
  !process.argv.includes('--force') &&
  outputs.every((p) => existsSync(p)) &&
  existsSync(STAMP) &&
  readFileSync(STAMP, 'utf8').trim() === inputsHash()
) {
  process.stderr.write('build: up to date (the sources are those of the last build; --force to build anyway)\n');
  process.exit(0);
}
rmSync(STAMP, { force: true });

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`build: ${[cmd, ...args].join(' ')} failed (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
}

if (existsSync(join(root, 'scripts/compile-contracts.mjs'))) {
  run(process.execPath, [join(root, 'scripts/compile-contracts.mjs')]);
  // The ABI as a typed constant for tsc (src/chain/abi.generated.ts), from the fresh artifact.
  run(process.execPath, [join(root, 'scripts/gen-abi.mjs')]);
}
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root]);

// A stale dist/ file could hide a deleted module: drop outputs whose source is gone. (Not
// `rm -rf dist` first: a running `emr` or a parallel test would see dist/ vanish.)
function prune(dir, srcDir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const out = join(dir, e.name);
    if (out === join(root, 'dist', 'bundle')) continue; // esbuild's, pruned below
    if (e.isDirectory()) {
      prune(out, join(srcDir, e.name));
      continue;
    }
    const base = e.name.replace(/\.js(\.map)?$/, '');
    if (base !== e.name && !existsSync(join(srcDir, `${base}.ts`))) rmSync(out, { force: true });
  }
}
prune(join(root, 'dist'), join(root, 'src'));

// The bundle (README § Build). Loading ethers, noble and multiformats as hundreds of small
// ES modules cost more than the work of a small command: measured on this machine with the
// key agent running, `fetch` of 10 KB 0.90 → 0.52 s and `whois` 0.50 → 0.27 s (load 3.5,
// medians of 5); bundling only emr's own modules gained nothing. Splitting keeps each
// command's lazy import a chunk of its own, so `--help` still loads no chain or IPFS code.
// Packages reached through createRequire (fhir, ora, the anvil binary's package,
// @noble/post-quantum's hybrid KEM) stay in node_modules, as do solc and its wasm, and
// zxcvbn (its CommonJS build, which esbuild picks for Node, loses its named exports behind a
// dynamic import; it loads only to judge a new passphrase).
// commander requires node:child_process at load for executable subcommands, which emr has
// none of; loading it (and net, dgram, streams behind it) was ~3 ms of every start-up, --help
// included. Its three `spawn` calls get the real module on first use.
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (a) =>
      /[\\/]commander[\\/]lib[\\/]command\.js$/.test(a.importer) ? { path: 'lazy-child-process', namespace: 'emr-lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'emr-lazy' }, () => ({
      contents: "module.exports = { spawn: (...a) => require('node:child_process').spawn(...a) };",
      loader: 'js',
    }));
  },
};
const esbuild = await import('esbuild').catch(() => null);
if (esbuild) {
  const outdir = join(root, 'dist', 'bundle');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: {
      cli: 'src/cli.ts',
      'agent-daemon': 'src/agent/daemon.ts', // src/spawn-targets.ts names these two
      'encrypt-worker': 'src/batch/encrypt-worker.ts',
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    chunkNames: '[name]-[hash]',
    define: { EMR_BUNDLED: 'true' },
    external: ['solc', '@zxcvbn-ts/*'],
    // CommonJS packages inside an ES module bundle still call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __emrCreateRequire } from 'node:module'; const require = __emrCreateRequire(import.meta.url);",
    },
    // Maps for a developer's --enable-source-maps; the package ships only the .js (package.json files).
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [lazyChildProcessForCommander],
  });
  // Which source files each output holds: test/cli/startup-imports.test.ts checks the chunks a
  // command loads against it. Kept outside dist/bundle/ so the package does not ship it.
  writeFileSync(join(root, 'dist', 'bundle-meta.json'), JSON.stringify(result.metafile));
  // Chunk names carry a content hash: drop the ones this build no longer wrote.
  const written = new Set(Object.keys(result.metafile.outputs).map((o) => join(root, o)));
  for (const e of readdirSync(outdir)) if (!written.has(join(outdir, e))) rmSync(join(outdir, e), { force: true });
  // Written last: a build that failed or was interrupted leaves no stamp, so the next one runs.
  writeFileSync(STAMP, `${inputsHash()}\n`);
} else {
  // A global install from the packed tarball runs the shipped bundle and never builds.
  process.stderr.write('build: esbuild is not installed (a devDependency): dist/bundle/ was not rebuilt\n');
  if (!existsSync(join(root, 'dist', 'bundle', 'cli.js'))) process.exit(1);
}
