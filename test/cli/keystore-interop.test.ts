// docs/KEYSTORE.md § 2.7: a keystore that `emr key import` accepts MUST also unlock later.
// Issue 20 point 14: ethers v6 writes "Crypto" (capital C); import accepted it with exit 0,
// every unlock then failed with exit 1 ("reading 'kdfparams'"). One parser reads both ways.
// Fixtures: test/fixtures/keystores/README.md names where each file comes from.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { emr, ROOT, tempHome } from '../helpers/cli.js';

const FIX = join(ROOT, 'test', 'fixtures', 'keystores');

/** Imports `file` as profile x, then unlocks it twice (export of the age identity, and encrypt). */
async function importThenUnlock(file: string, pass: string, address: string) {
  const t = tempHome();
  const pw = t.pw('x', pass);
  const imp = await emr(['--home', t.home, '--json', 'key', 'import', file, '--name', 'x', '--password-file', pw]);
  expect(imp.code, imp.stderr).toBe(0);
  expect(imp.json!.data.address.toLowerCase()).toBe(address.toLowerCase());
  const out = join(t.home, 'x.key');
  const exp = await emr([
    '--home',
    t.home,
    '--profile',
    'x',
    '--password-file',
    pw,
    '--json',
    'key',
    'export',
    'x',
    '--format',
    'age-identity',
    '-o',
    out,
  ]);
  expect(exp.code, exp.stderr).toBe(0);
  expect(readFileSync(out, 'utf8')).toMatch(/AGE-SECRET-KEY-1/);
  const plain = join(t.home, 'note.txt');
  writeFileSync(plain, 'hello\n');
  const enc = await emr([
    '--home',
    t.home,
    '--profile',
    'x',
    '--password-file',
    pw,
    '--json',
    'encrypt',
    plain,
    '--self',
    '-o',
    join(t.home, 'note.age'),
  ]);
  expect(enc.code, enc.stderr).toBe(0);
  const wrong = await emr([
    '--home',
    t.home,
    '--profile',
    'x',
    '--password-file',
    t.pw('w', 'not-the-passphrase'),
    '--json',
    'key',
    'export',
    'x',
    '--format',
    'age-identity',
    '-o',
    `${out}.2`,
  ]);
  expect(wrong.code).toBe(5);
}

describe('keystores written by other wallets import AND unlock (KEYSTORE.md § 2.7)', () => {
  it('2.7 ethers v6 Wallet.encrypt ("Crypto", capital C) MUST unlock after import', async () => {
    const t = tempHome();
    const w = Wallet.createRandom();
    const json = await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, 'ethers-pass-123', { scrypt: { N: 1 << 10 } });
    expect(Object.keys(JSON.parse(json))).toContain('Crypto');
    const f = join(t.home, 'ethers.json');
    writeFileSync(f, json);
    await importThenUnlock(f, 'ethers-pass-123', w.address);
  });

  it('2.7 a geth keystore (lower-case "crypto", scrypt) MUST unlock after import', async () => {
    await importThenUnlock(join(FIX, 'geth-aaa.json'), 'foobar', '0xf466859ead1932d743d622cb74fc058882e8648a');
  });

  it('2.7 a cast keystore (eth-keystore crate: no address field) MUST unlock after import', async () => {
    await importThenUnlock(
      join(FIX, 'cast-eth-keystore-scrypt.json'),
      'grOQ8QDnGHvpYJf',
      new Wallet('0x80d3a6ed7b24dcd652949bc2f3827d2f883b3722e3120b15a93a2e0790f03829').address,
    );
  });
});
