#!/usr/bin/env node
// Compiles contracts/*.sol offline with solc-js (the pinned `solc` package) into
// artifacts/<Name>.json = {abi, bytecode, deployedBytecode, solcVersion}.
// Settings are fixed so that builds are reproducible: optimizer 200 runs, evmVersion
// "prague" (supported by solc 0.8.30 and by anvil 1.7.1, whose default is newer).
// Exits non-zero, printing solc's messages, on any compile error.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const solc = require('solc');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'contracts');
const outDir = join(root, 'artifacts');

export const SETTINGS = Object.freeze({
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'prague',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
});

const files = readdirSync(srcDir)
  .filter((f) => f.endsWith('.sol'))
  .sort();
if (files.length === 0) {
  process.stderr.write('compile-contracts: no contracts/*.sol found\n');
  process.exit(1);
}
const sources = Object.fromEntries(files.map((f) => [f, { content: readFileSync(join(srcDir, f), 'utf8') }]));

function findImports(path) {
  try {
    return { contents: readFileSync(join(srcDir, path), 'utf8') };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings: SETTINGS }), { import: findImports }));
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
for (const e of output.errors ?? []) {
  if (e.severity !== 'error') process.stderr.write(`${e.formattedMessage ?? e.message}\n`);
}
if (errors.length > 0) {
  for (const e of errors) process.stderr.write(`${e.formattedMessage ?? e.message}\n`);
  process.stderr.write(`compile-contracts: ${errors.length} error(s)\n`);
  process.exit(1);
}

mkdirSync(outDir, { recursive: true });
const solcVersion = solc.version();
let count = 0;
for (const [file, contracts] of Object.entries(output.contracts ?? {})) {
  for (const [name, c] of Object.entries(contracts)) {
    const artifact = {
      contractName: name,
      sourceName: `contracts/${file}`,
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      solcVersion,
      settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion },
    };
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
    count++;
  }
}
process.stderr.write(`compile-contracts: ${count} contract(s) → artifacts/ (solc ${solcVersion})\n`);
