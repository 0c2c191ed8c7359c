// The generated ABI (src/chain/abi.generated.ts) is the compiled contract's.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emrAbi, emrAbiSourceDigest } from '../../src/chain/abi.generated.js';
import { loadArtifact, packageRoot } from '../../src/chain/artifacts.js';

const root = packageRoot();

describe('generated ABI (scripts/gen-abi.mjs)', () => {
  it('equals the ABI of the compiled artifact', () => {
    expect(emrAbi).toEqual(loadArtifact('EmrAccess').abi);
  });

  it('was generated from the contract sources as they are now (edit the contract → build)', () => {
    // The digest scripts/gen-abi.mjs records: sha256 of `<name>\0<content>\0` per contracts/*.sol, by name.
    const h = createHash('sha256');
    const dir = join(root, 'contracts');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.sol')).sort()) {
      h.update(`${f}\0`);
      h.update(readFileSync(join(dir, f)));
      h.update('\0');
    }
    expect(emrAbiSourceDigest).toBe(h.digest('hex'));
  });

  it('is what the generator writes for the current artifact (--check)', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/gen-abi.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
