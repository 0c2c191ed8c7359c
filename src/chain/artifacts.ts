/**
 * Compiled contract artifacts (artifacts/<Name>.json, written by
 * scripts/compile-contracts.mjs at build time). The package root is found from this
 * module's own URL, so the same code works from src/ (tsx, vitest) and from dist/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InterfaceAbi } from 'ethers';
import { InternalError, NotFoundError } from '../errors.js';
import { packageRoot } from '../package-info.js';

export interface Artifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  deployedBytecode: string;
  solcVersion: string;
}

export { packageRoot } from '../package-info.js';

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
