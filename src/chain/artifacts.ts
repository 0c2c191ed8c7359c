/**
 * Compiled contract artifacts (artifacts/<Name>.json, written by
 * scripts/compile-contracts.mjs at build time). The package root is found from this
 * module's own URL, so the same code works from src/ (tsx, vitest) and from dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InterfaceAbi } from 'ethers';
import { InternalError, NotFoundError } from '../errors.js';

export interface Artifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  deployedBytecode: string;
  solcVersion: string;
}

/** The directory holding emr's package.json (src/chain/ and dist/chain/ are two levels down). */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'emr') return dir;
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

export function loadArtifact(name = 'EmrAccess'): Artifact {
  const path = join(packageRoot(), 'artifacts', `${name}.json`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NotFoundError(`contract artifact ${name}.json not found`, {
      hint: 'run `npm run build` (it compiles contracts/ into artifacts/)',
      cause: e,
    });
  }
  const a = JSON.parse(text) as Artifact;
  if (!Array.isArray(a.abi) || typeof a.bytecode !== 'string') {
    throw new InternalError(`contract artifact ${name}.json is malformed`, {
      hint: 'run `npm run build` to regenerate artifacts/',
    });
  }
  return a;
}
