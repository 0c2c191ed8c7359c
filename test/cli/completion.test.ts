// Issue 10 point 14: `emr completion bash|zsh|fish`, generated from the command tree. The
// bash script is exercised in a real bash as the shell would call it (COMP_WORDS/_emr).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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

  it('bash: a comma list keeps its earlier items; profiles and record ids come from the home, with no emr on PATH (issue 22 point 6)', async () => {
    const t = tempHome();
    try {
      for (const n of ['alice', 'dr-grey'])
        expect((await emr(['--home', t.home, '--json', 'keygen', '--name', n, '--password-file', t.pw(n)])).code).toBe(0);
      // A hostile name in profiles/ and in the ids file: never run, never offered.
      writeFileSync(join(t.home, 'profiles', '$(touch pwned-p).json'), '{}');
      mkdirSync(join(t.home, 'completion'), { recursive: true });
      writeFileSync(join(t.home, 'completion', 'record-ids'), '12\n7\n$(touch pwned-i)\n3\n');
      const r = await emr(['completion', 'bash']);
      const script = join(t.home, 'emr.bash');
      writeFileSync(script, r.stdout);
      const probe = (words: string[]) =>
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _emr; echo "=>\${COMPREPLY[*]}"`;
      const h = ['emr', '--home', t.home];
      const cases: Array<[string[], string[]]> = [
        [
          ['emr', 'record', 'list', '--type', 'lab,im'],
          ['lab,imaging', 'lab,immunization'],
        ],
        [
          ['emr', 'grant', 'dr-grey', '--types', 'lab,note,al'],
          ['lab,note,all', 'lab,note,allergy'],
        ],
        [['emr', 'emergency', 'types', 'allergy,la'], ['allergy,lab']],
        [
          [...h, 'grant', ''],
          ['alice', 'dr-grey'],
        ],
        [[...h, 'patient', 'revoke', 'dr'], ['dr-grey']],
        [
          [...h, 'fetch', ''],
          ['12', '7', '3'],
        ],
        [[...h, 'record', 'show', '1'], ['12']],
        [
          [...h, 'grant', 'dr-grey', '--records', '12,'],
          ['12,12', '12,7', '12,3'],
        ],
        [[...h, 'record', 'add', 'x.txt', '--supersedes', '7'], ['7']],
      ];
      // PATH without emr: the newcomer running it through npx (the old script asked `emr key list`).
      const res = spawnSync('bash', ['-c', `cd '${t.home}'\nsource '${script}'\n${cases.map(([w]) => probe(w)).join('\n')}`], {
        env: { ...process.env, PATH: '/usr/bin:/bin', EMR_HOME: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(res.status, res.stderr).toBe(0);
      const lines = res.stdout.trim().split('\n');
      cases.forEach(([w, want], i) =>
        expect(lines[i]!.split('=>')[1]!.split(' ').filter(Boolean).sort(), w.join(' ')).toEqual([...want].sort()),
      );
      expect(existsSync(join(t.home, 'pwned-p')) || existsSync(join(t.home, 'pwned-i'))).toBe(false);
    } finally {
      rmSync(t.home, { recursive: true, force: true });
    }
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
