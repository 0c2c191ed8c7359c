/**
 * The import graph of src/ (README § Build and layout). Floors, low to high:
 *   base     src/*.ts other than context.ts and cli.ts (errors, config, output, …)
 *   ground   src/crypto, src/keys, src/ipfs, src/chain, src/fhir, src/agent: none imports another
 *   context  src/context.ts (one command run: options, streams, config, profiles)
 *   session  src/session (the unlocked identity, chain client, record store of one run)
 *   flows    src/identity, src/records, src/ops (siblings: none imports another), then
 *            src/batch (a batch is many record flows)
 *   ui       src/ui: the local web view (`emr ui`), many flows behind one HTTP server
 *   commands src/commands, src/cli.ts (the only place that lazy-loads)
 * An arrow may only point down. Type-only imports count (tsPreCompilationDeps).
 */
const BASE = '^src/(?!context\\.ts$|cli\\.ts$)[^/]+\\.ts$';
/** The bundle's entry points (scripts/build.mjs; src/spawn-targets.ts names the last two). */
const ENTRIES = '^src/(cli\\.ts|agent/daemon\\.ts|batch/encrypt-worker\\.ts)$';
const GROUND = ['crypto', 'keys', 'ipfs', 'chain', 'fhir', 'agent'];
const above = (floors) => `^src/(${floors.join('|')})`;
const downOnly = (name, from, notTo) => ({ name, severity: 'error', from: { path: from }, to: { path: notTo } });

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a circle of files has no bottom to read from', from: { path: '^src/' }, to: { circular: true } },
    downOnly('base-is-base', BASE, '^src/(?![^/]+\\.ts$)|^src/(context|cli)\\.ts$'),
    ...GROUND.map((g) =>
      downOnly(`ground-${g}-alone`, `^src/${g}/`, `^src/(?!${g}/)(?![^/]+\\.ts$)|^src/(context|cli)\\.ts$`),
    ),
    downOnly('context-below-session', '^src/context\\.ts$', above(['session', 'records', 'batch', 'ui', 'commands']) + '|^src/cli\\.ts$'),
    downOnly('session-below-flows', '^src/session/', above(['identity', 'records', 'ops', 'batch', 'ui', 'commands']) + '|^src/cli\\.ts$'),
    ...['identity', 'records', 'ops'].map((f) =>
      downOnly(
        `flows-${f}-alone`,
        `^src/${f}/`,
        above(['identity', 'records', 'ops', 'batch', 'ui', 'commands'].filter((x) => x !== f)) + '|^src/cli\\.ts$',
      ),
    ),
    downOnly('batch-below-commands', '^src/batch/', above(['ui', 'commands']) + '|^src/cli\\.ts$'),
    downOnly('ui-below-commands', '^src/ui/', above(['batch', 'commands']) + '|^src/cli\\.ts$'),
    downOnly('commands-below-cli', '^src/commands/', '^src/cli\\.ts$'),
    {
      name: 'lazy-only-in-commands',
      severity: 'error',
      comment: 'a command file is the one lazy-loading boundary; below it imports are static so a header shows what a file needs',
      from: { path: '^src/', pathNot: '^src/commands/' },
      to: { dependencyTypes: ['dynamic-import'], path: '^src/' },
    },
    {
      name: 'no-unreachable',
      severity: 'error',
      comment: 'a module no entry point reaches (scripts/build.mjs entryPoints; lazy imports count) is dead code: remove what nothing imports',
      from: { path: ENTRIES },
      to: { path: '^src/', pathNot: `${ENTRIES}|^src/ui/static/`, reachable: false },
    },
    { name: 'no-unknown-dir', severity: 'error', comment: 'a new directory needs a floor above', from: { path: '^src/(?!(crypto|keys|ipfs|chain|fhir|agent|session|identity|records|ops|batch|ui|commands)/)[^/]+/' }, to: {} },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules|\\.generated\\.' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
