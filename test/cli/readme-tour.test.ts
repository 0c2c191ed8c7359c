// Issue 22 point 11: the README's first tour, run verbatim from the clone, leaves nothing in
// the clone (it left .emr-tour/, alice.pw, bob.pw, alice.key, lab.txt* there): it tours in a
// scratch directory. `--ignored` too, so a .gitignore entry cannot hide a leftover. The second
// tour (a devnet) was checked the same way by hand: see the commit that added this test.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const tours = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Ignored and untracked paths, a directory collapsed to one line: with --untracked-files=all git
// lists every file under node_modules, past execFileSync's buffer (ENOBUFS in the full run).
const status = () => execFileSync('git', ['status', '--porcelain', '--ignored'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });

describe('README tours', () => {
  it('the offline tour, run verbatim from the clone, leaves the clone as it was and ends as it says', () => {
    const tour = tours.find((t) => t.includes('decrypt lab.txt.age -o x.txt'));
    expect(tour).toBeDefined();
    const before = status()
      .split('\n')
      .filter((l) => !l.includes('node_modules/'));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.EMR_HOME;
    delete env.EMR_PASSWORD;
    delete env.EMR_PASSWORD_FILE;
    const run = spawnSync('bash', ['-c', tour!], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/exit 4\s*$/); // the tampered file is refused
    const after = status()
      .split('\n')
      .filter((l) => !l.includes('node_modules/'));
    expect(after).toEqual(before);
  }, 150_000);
});
