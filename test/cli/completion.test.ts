// Issue 10 point 14: `emr completion bash|zsh|fish`, generated from the command tree. The
// bash script is exercised in a real bash as the shell would call it (COMP_WORDS/_emr).

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, emr, tempHome } from '../helpers/cli.js';

describe('emr completion', () => {
  it('bash: completes subcommands, options, record types and profile names', async () => {
    const t = tempHome();
    for (const n of ['alice', 'dr-grey'])
      expect((await emr(['--home', t.home, '--json', 'keygen', '--name', n, '--password-file', t.pw(n)])).code).toBe(0);
    const r = await emr(['completion', 'bash']);
    expect(r.code, r.stderr).toBe(0);
    const script = join(t.home, 'emr.bash');
    writeFileSync(script, r.stdout);
    // `emr` on PATH, as after an install (the script asks it for profile names).
    const binDir = join(t.home, 'bin');
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'emr'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const probe = (words: string[]) =>
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _emr; echo "${words.join(' ')}=>\${COMPREPLY[*]}"`;
    const cases: Array<[string[], string[]]> = [
      [['emr', 'rec'], ['record']],
      [['emr', 'record', 'a'], ['add']],
      [
        ['emr', 'record', 'add', '--t'],
        ['--type', '--title'],
      ],
      [['emr', 'record', 'add', 'x.txt', '--type', 'la'], ['lab']],
      [['emr', '--home', t.home, 'patient', 'gr'], ['grant']],
      [['emr', 'admin', 'dev'], ['devnet']],
      [
        ['emr', '--home', t.home, '--profile', ''],
        ['alice', 'dr-grey'],
      ],
    ];
    const res = spawnSync('bash', ['-c', `source '${script}'\n${cases.map(([w]) => probe(w)).join('\n')}`], {
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    cases.forEach(([w, want], i) => expect(lines[i]!.split('=>')[1]!.split(' ').sort(), w.join(' ')).toEqual([...want].sort()));
  }, 120_000);

  it('zsh and fish scripts name every top-level command; an unknown shell is exit 2', async () => {
    const help = (await emr(['--help'])).stdout;
    for (const shell of ['zsh', 'fish']) {
      const r = await emr(['completion', shell]);
      expect(r.code).toBe(0);
      for (const c of ['keygen', 'record', 'grant', 'devnet', 'batch', 'completion']) expect(r.stdout, `${shell}: ${c}`).toContain(c);
    }
    expect(help).toMatch(/completion <shell>/);
    const bad = await emr(['--json', 'completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.json?.error?.hint).toMatch(/bash, zsh, fish/);
  });
});
