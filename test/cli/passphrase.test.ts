// Issue 8 point 16 and issue 10 point 12: one passphrase rule for a new key whatever its
// source (docs/KEYSTORE.md § Passphrases), strength checked with zxcvbn, 3 tries at a
// terminal, and `key export --format mnemonic` asks once.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';
import { emrDriven } from '../helpers/pty.js';

describe('a new key’s passphrase: one rule for every source', () => {
  it('KEYSTORE § Passphrases MUST: an empty passphrase from a file or EMR_PASSWORD is refused (exit 2), no profile made', async () => {
    const t = tempHome();
    const r1 = await emr(['--home', t.home, '--json', 'keygen', '--name', 'a', '--password-file', t.pw('a', '')]);
    expect(r1.code).toBe(2);
    expect(r1.json?.error?.message).toMatch(/fewer than 8 characters/);
    const r2 = await emr(['--home', t.home, '--json', 'keygen', '--name', 'a'], { env: { EMR_PASSWORD: '' } });
    expect(r2.code).toBe(2);
    // Even --weak-passphrase-ok keeps the 8-character floor the prompt has always had.
    const r3 = await emr([
      '--home',
      t.home,
      '--json',
      'keygen',
      '--name',
      'a',
      '--weak-passphrase-ok',
      '--password-file',
      t.pw('a', 'short'),
    ]);
    expect(r3.code).toBe(2);
    expect(existsSync(join(t.home, 'profiles', 'a.json'))).toBe(false);
    expect((await emr(['--home', t.home, '--json', 'key', 'list'])).json?.data?.profiles ?? []).toHaveLength(0);
  });

  it('KEYSTORE § Passphrases MUST: a guessable passphrase ("password") is refused with a hint; --weak-passphrase-ok accepts it', async () => {
    const t = tempHome();
    const r = await emr(['--home', t.home, '--json', 'keygen', '--name', 'a', '--password-file', t.pw('a', 'password')]);
    expect(r.code).toBe(2);
    expect(r.json?.error?.message).toMatch(/most common passwords/);
    expect(r.json?.error?.hint).toMatch(/--weak-passphrase-ok/);
    const ok = await emr([
      '--home',
      t.home,
      '--json',
      'keygen',
      '--name',
      'a',
      '--weak-passphrase-ok',
      '--password-file',
      t.pw('a', 'password'),
    ]);
    expect(ok.code, ok.stdout).toBe(0);
    // The test suite's own passphrases pass the rule as they are.
    const strong = await emr(['--home', t.home, '--json', 'keygen', '--name', 'b', '--password-file', t.pw('b')]);
    expect(strong.code, strong.stdout).toBe(0);
  });

  it('key import --mnemonic applies the same rule to the new passphrase', async () => {
    const t = tempHome();
    const words = 'test test test test test test test test test test test junk';
    const f = join(t.home, 'phrase.txt');
    writeFileSync(f, words + '\n');
    const r = await emr(['--home', t.home, '--json', 'key', 'import', f, '--mnemonic', '--name', 'm'], {
      env: { EMR_PASSWORD: '12345678' },
    });
    expect(r.code).toBe(2);
    expect(r.json?.error?.code).toBe('USAGE');
  });
});

describe('at a terminal', () => {
  it('the prompt refuses a weak passphrase and asks again; a wrong unlock passphrase gets 3 tries; mnemonic export asks once', async () => {
    const t = tempHome();
    const made = await emrDriven(
      ['--home', t.home, 'keygen', '--name', 'p'],
      [
        [/Passphrase to protect/, 'password\r'],
        [/refused[\s\S]*Passphrase to protect/, 'pass-for-p-123\r'],
        [/Repeat/, 'pass-for-p-123\r'],
      ],
      { timeoutMs: 90_000 },
    );
    expect(made.code, made.output).toBe(0);
    expect(made.output).toMatch(/most common passwords/);
    // Two wrong tries, then the right one: the export succeeds, and the passphrase is asked
    // exactly three times (not once more for the mnemonic, as before).
    const out = join(t.home, 'phrase.txt');
    const ex = await emrDriven(
      ['--home', t.home, 'key', 'export', 'p', '--format', 'mnemonic', '-o', out],
      [
        [/Passphrase to unlock/, 'wrong-one-1\r'],
        [/2 tries left[\s\S]*Passphrase to unlock/, 'wrong-one-2\r'],
        [/1 try left[\s\S]*Passphrase to unlock/, 'pass-for-p-123\r'],
      ],
      { timeoutMs: 90_000 },
    );
    // A fourth prompt would get no answer and the run would end at its deadline (124).
    expect(ex.code, ex.output).toBe(0);
    expect(ex.output.match(/Wrong passphrase; \d/g)).toHaveLength(2);
    expect(existsSync(out)).toBe(true);
    // Three wrong: exit 5.
    const bad = await emrDriven(
      ['--home', t.home, 'key', 'export', 'p', '--format', 'mnemonic', '-o', join(t.home, 'x.txt')],
      [
        [/Passphrase to unlock/, 'wrong-one-1\r'],
        [/left[\s\S]*Passphrase to unlock/, 'wrong-one-2\r'],
        [/left[\s\S]*Passphrase to unlock/, 'wrong-one-3\r'],
      ],
      { timeoutMs: 90_000 },
    );
    expect(bad.code, bad.output).toBe(5);
  }, 240_000);
});
