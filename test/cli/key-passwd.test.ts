// Issue 22 point 8: `emr key passwd` changes a keystore's passphrase, through the built
// binary. The old passphrase as for any unlock, the new one from --new-password-file (no
// terminal here); the keystore is replaced atomically (0600) or not at all.

import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

const t = tempHome();
const oldPw = t.pw('alice');
const newPw = join(t.home, 'new.pw');
const keystore = () => join(t.home, 'keystore', readdirSync(join(t.home, 'keystore')).find((f) => f.startsWith('alice'))!);
const passwd = (pw: string, ...more: string[]) =>
  emr(['--home', t.home, '--profile', 'alice', '--password-file', pw, '--json', 'key', 'passwd', ...more]);
// Something that needs the key: an age identity export.
const unlocks = async (pw: string) =>
  (await emr(['--home', t.home, '--profile', 'alice', '--password-file', pw, 'key', 'export', '--format', 'age-identity', '-o', '-'])).code;

beforeAll(async () => {
  const r = await emr(['--home', t.home, '--json', 'keygen', '--name', 'alice', '--password-file', oldPw]);
  expect(r.code, r.stderr).toBe(0);
  writeFileSync(newPw, 'violet tractor lantern oboe quarry\n', { mode: 0o600 });
});
afterAll(() => rmSync(t.home, { recursive: true, force: true }));

describe('emr key passwd', () => {
  it('a wrong old passphrase is exit 5 and the keystore is untouched', async () => {
    const before = readFileSync(keystore());
    const bad = join(t.home, 'bad.pw');
    writeFileSync(bad, 'not the passphrase\n');
    const r = await passwd(bad, '--new-password-file', newPw);
    expect(r.code).toBe(5);
    expect(r.json?.error?.code).toBe('BAD_PASSPHRASE');
    expect(readFileSync(keystore()).equals(before)).toBe(true);
  });

  it('a guessable new passphrase is refused as keygen refuses it (exit 2), nothing changed', async () => {
    const before = readFileSync(keystore());
    const weak = join(t.home, 'weak.pw');
    writeFileSync(weak, 'password1\n');
    const r = await passwd(oldPw, '--new-password-file', weak);
    expect(r.code).toBe(2);
    expect(r.json?.error?.message).toMatch(/refused for a new key/);
    expect(readFileSync(keystore()).equals(before)).toBe(true);
  });

  it('without a terminal and without --new-password-file: exit 2 naming it, never waiting', async () => {
    const r = await passwd(oldPw);
    expect(r.code).toBe(2);
    expect(r.json?.error?.hint).toMatch(/--new-password-file/);
  });

  it('changes it: the new passphrase unlocks the same key, the old one no longer does; 0600, no temporary left', async () => {
    const address = (await emr(['--home', t.home, '--json', 'key', 'list'])).json!.data.profiles[0].address;
    const identity = (
      await emr(['--home', t.home, '--profile', 'alice', '--password-file', oldPw, 'key', 'export', '--format', 'age-identity', '-o', '-'])
    ).stdout;
    const r = await passwd(oldPw, '--new-password-file', newPw);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.data).toMatchObject({ profile: 'alice', address, keystore: keystore() });
    expect(JSON.stringify(r.json)).not.toMatch(/violet|pass-for-alice/);
    expect(statSync(keystore()).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(t.home, 'keystore')).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(await unlocks(oldPw)).toBe(5);
    const again = await emr([
      '--home',
      t.home,
      '--profile',
      'alice',
      '--password-file',
      newPw,
      'key',
      'export',
      '--format',
      'age-identity',
      '-o',
      '-',
    ]);
    expect(again.code).toBe(0);
    // The same key, under a new passphrase (the export's '# created' line aside).
    const key = (x: string) => x.split('\n').filter((l) => !l.startsWith('#'));
    expect(key(again.stdout)).toEqual(key(identity));
    // The recovery phrase went along.
    const m = await emr([
      '--home',
      t.home,
      '--profile',
      'alice',
      '--password-file',
      newPw,
      'key',
      'export',
      '--format',
      'mnemonic',
      '-o',
      '-',
    ]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout.trim().split(/\s+/)).toHaveLength(24);
  });

  it('an unknown profile is exit 7 before any passphrase is read', async () => {
    const r = await emr(['--home', t.home, '--json', 'key', 'passwd', 'alcie', '--new-password-file', newPw]);
    expect(r.code).toBe(7);
  });
});
