// docs/CLI.md § Identity and § Global behaviour, driven through the built binary.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

describe('emr keygen / key', () => {
  it('keygen makes a 0600 keystore ethers opens, answers {profile,address,recipient}, and keeps the mnemonic out of --json', async () => {
    const t = tempHome();
    const r = await emr(['--home', t.home, '--json', 'keygen', '--name', 'alice', '--role', 'patient', '--password-file', t.pw('alice')]);
    expect(r.code).toBe(0);
    expect(r.json?.ok).toBe(true);
    const d = r.json!.data;
    expect(d.profile).toBe('alice');
    expect(d.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(d.recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(JSON.stringify(r.json)).not.toMatch(/mnemonic/);
    const ksPath = join(t.home, 'keystore', 'alice.json');
    expect(statSync(ksPath).mode & 0o777).toBe(0o600);
    const w = await Wallet.fromEncryptedJson(readFileSync(ksPath, 'utf8'), 'pass-for-alice-123');
    expect(w.address).toBe(d.address);
  });

  it('--show-mnemonic puts the phrase in --json, and that phrase restores the same address and recipient', async () => {
    const t = tempHome();
    const a = await emr(['--home', t.home, '--json', 'keygen', '--name', 'a', '--show-mnemonic', '--password-file', t.pw('a')]);
    expect(a.code).toBe(0);
    const words = a.json!.data.mnemonic.split(' ');
    expect(words).toHaveLength(24);
    const phraseFile = join(t.home, 'phrase.txt');
    writeFileSync(phraseFile, a.json!.data.mnemonic + '\n');
    const b = await emr([
      '--home',
      t.home,
      '--json',
      'key',
      'import',
      phraseFile,
      '--mnemonic',
      '--name',
      'b',
      '--password-file',
      t.pw('b'),
    ]);
    expect(b.code).toBe(0);
    expect(b.json!.data.address).toBe(a.json!.data.address);
    expect(b.json!.data.recipient).toBe(a.json!.data.recipient);
  });

  it('without a TTY and without a passphrase source it fails at once with exit 2 naming --password-file', async () => {
    const t = tempHome();
    const r = await emr(['--home', t.home, '--json', 'keygen', '--name', 'x'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.json?.error?.code).toBe('USAGE');
    expect(r.json!.error!.message + r.json!.error!.hint).toContain('--password-file');
  });

  it('never overwrites a profile without --force; the keystore stays byte-identical', async () => {
    const t = tempHome();
    expect((await emr(['--home', t.home, 'keygen', '--name', 'p', '--password-file', t.pw('p')])).code).toBe(0);
    const before = readFileSync(join(t.home, 'keystore', 'p.json'));
    const again = await emr(['--home', t.home, '--json', 'keygen', '--name', 'p', '--password-file', t.pw('p')]);
    expect(again.code).toBe(2);
    expect(readFileSync(join(t.home, 'keystore', 'p.json'))).toEqual(before);
  });

  it('a wrong passphrase exits 5 and leaves the keystore byte-identical', async () => {
    const t = tempHome();
    await emr(['--home', t.home, 'keygen', '--name', 'p', '--password-file', t.pw('p')]);
    const before = readFileSync(join(t.home, 'keystore', 'p.json'));
    const out = join(t.home, 'p.key');
    const r = await emr([
      '--home',
      t.home,
      '--json',
      'key',
      'export',
      'p',
      '--format',
      'age-identity',
      '-o',
      out,
      '--password-file',
      t.pw('wrong', 'not-the-passphrase'),
    ]);
    expect(r.code).toBe(5);
    expect(r.json?.error?.code).toBe('BAD_PASSPHRASE');
    expect(readFileSync(join(t.home, 'keystore', 'p.json'))).toEqual(before);
    expect(() => statSync(out)).toThrow();
  });

  it('imports a v3 keystore written by ethers and exports it back unchanged for cast/geth', async () => {
    const t = tempHome();
    const w = Wallet.createRandom();
    const json = await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, 'ethers-pass', { scrypt: { N: 1 << 12 } });
    const f = join(t.home, 'wallet.json');
    writeFileSync(f, json);
    const r = await emr(['--home', t.home, '--json', 'key', 'import', f, '--name', 'imp', '--role', 'provider'], {
      env: { EMR_PASSWORD: 'ethers-pass' },
    });
    expect(r.code).toBe(0);
    expect(r.json!.data.address).toBe(w.address);
    const list = await emr(['--home', t.home, '--json', 'key', 'list']);
    expect(list.json!.data.profiles).toEqual([
      expect.objectContaining({ name: 'imp', role: 'provider', address: w.address, default: true }),
    ]);
    const exp = await emr(['--home', t.home, 'key', 'export', 'imp', '--format', 'keystore-v3']);
    expect(exp.code).toBe(0);
    expect(exp.stdout).toBe(json);
  });

  it('unknown profile → exit 7; bad flags → exit 2 with one JSON document', async () => {
    const t = tempHome();
    const r = await emr(['--home', t.home, '--json', 'key', 'export', 'ghost']);
    expect(r.code).toBe(7);
    expect(r.json?.error?.code).toBe('NOT_FOUND');
    const u = await emr(['--home', t.home, '--json', 'keygen', '--name', 'x', '--role', 'wizard']);
    expect(u.code).toBe(2);
    expect(u.json?.ok).toBe(false);
    expect(u.stdout.trim().split('\n')).toHaveLength(1);
  });
});
