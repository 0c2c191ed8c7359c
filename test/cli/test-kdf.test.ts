// docs/KEYSTORE.md § 2.6: the test-only scrypt cost, through the built binary. A cheap
// keystore is only ever written under EMR_TEST=1 and refused, named, everywhere else.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

const REAL = { EMR_TEST: undefined, EMR_TEST_KDF: undefined };
const TEST = { EMR_TEST: '1', EMR_TEST_KDF: 'cheap' };

describe('the test-only KDF cost (KEYSTORE.md § 2.6)', () => {
  it('2.6 EMR_TEST_KDF without EMR_TEST=1 MUST be a usage error, and no profile is written', async () => {
    const t = tempHome();
    const args = ['--home', t.home, '--json', 'keygen', '--name', 'a', '--password-file', t.pw('a')];
    for (const env of [
      { EMR_TEST: undefined, EMR_TEST_KDF: 'cheap' },
      { EMR_TEST: '0', EMR_TEST_KDF: 'cheap' },
    ]) {
      const r = await emr(args, { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.json!.error!.message).toMatch(/EMR_TEST_KDF is test-only/);
      expect(existsSync(join(t.home, 'keystore', 'a.json'))).toBe(false);
    }
    const bad = await emr(args, { env: { EMR_TEST: '1', EMR_TEST_KDF: 'free' } });
    expect(bad.code).toBe(2);
    expect(existsSync(join(t.home, 'keystore', 'a.json'))).toBe(false);
  });

  it('2.6 under EMR_TEST=1 the keystore is written at N = 2^10 and still opens with ethers; a real run refuses it (exit 4) before asking', async () => {
    const t = tempHome();
    const pw = t.pw('c');
    const k = await emr(['--home', t.home, '--json', 'keygen', '--name', 'c', '--password-file', pw], { env: TEST });
    expect(k.code, k.stderr).toBe(0);
    const text = readFileSync(join(t.home, 'keystore', 'c.json'), 'utf8');
    expect(JSON.parse(text).crypto.kdfparams.n).toBe(1 << 10);
    expect((await Wallet.fromEncryptedJson(text, 'pass-for-c-123')).address).toBe(k.json!.data.address);
    const out = join(t.home, 'c.key');
    const unlockArgs = (o: string) => [
      '--home',
      t.home,
      '--password-file',
      pw,
      '--json',
      'key',
      'export',
      'c',
      '--format',
      'age-identity',
      '-o',
      o,
    ];
    const ok = await emr(unlockArgs(out), { env: TEST });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/AGE-SECRET-KEY-1/);
    const refused = await emr(unlockArgs(`${out}.2`), { env: REAL });
    expect(refused.code).toBe(4);
    expect(refused.json!.error!.message).toMatch(/N=1024 is below 2\^12: a test-only keystore/);
    expect(existsSync(`${out}.2`)).toBe(false);
    // Without a passphrase source it is refused the same way: the refusal comes before any prompt.
    const noPass = await emr(['--home', t.home, '--json', 'key', 'export', 'c', '--format', 'age-identity', '-o', `${out}.3`], {
      env: REAL,
    });
    expect(noPass.code).toBe(4);
    expect(existsSync(`${out}.3`)).toBe(false);
    expect(readFileSync(join(t.home, 'keystore', 'c.json'), 'utf8')).toBe(text);
  });

  it('2.6 key import of a keystore below 2^12 is refused outside EMR_TEST=1; 2^12 (geth light) is accepted', async () => {
    const t = tempHome();
    const w = Wallet.createRandom();
    const cheap = join(t.home, 'cheap.json');
    const light = join(t.home, 'light.json');
    writeFileSync(
      cheap,
      await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, 'ethers-pass', { scrypt: { N: 1 << 11 } }),
    );
    writeFileSync(
      light,
      await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, 'ethers-pass', { scrypt: { N: 1 << 12 } }),
    );
    const pw = t.pw('imp', 'ethers-pass');
    const imp = (file: string, name: string, env: Record<string, string | undefined>) =>
      emr(['--home', t.home, '--json', '--password-file', pw, 'key', 'import', file, '--name', name], { env });
    const refused = await imp(cheap, 'x', REAL);
    expect(refused.code).toBe(4);
    expect(existsSync(join(t.home, 'keystore', 'x.json'))).toBe(false);
    expect((await imp(light, 'y', REAL)).code).toBe(0);
    expect((await imp(cheap, 'z', { EMR_TEST: '1' })).code).toBe(0);
  });
});
