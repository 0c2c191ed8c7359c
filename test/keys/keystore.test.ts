// docs/KEYSTORE.md § 2: the keystore is Web3 Secret Storage v3 that ethers (and geth, cast)
// open unchanged; emr opens theirs. ethers 6 is the independent implementation here.

import { randomBytes } from 'node:crypto';
import { encryptKeystoreJson, HDNodeWallet, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { BadPassphraseError, IntegrityError, UsageError } from '../../src/errors.js';
import { createAccount } from '../../src/keys/create.js';
import { deriveIdentitySecret } from '../../src/keys/derive.js';
import { addressOf, DEFAULT_HD_PATH, DEFAULT_SCRYPT, decryptKeystore, encryptKeystore, parseKeystore } from '../../src/keys/keystore-v3.js';
import { MIN_REAL_SCRYPT_N, newKeystoreCost, refuseTestCost, TEST_SCRYPT } from '../../src/keys/test-kdf.js';

const enc = (s: string) => new TextEncoder().encode(s);
const FAST = { N: 1 << 10, r: 8, p: 1 };

describe('keystore v3', () => {
  it('a keystore written by emr at the default work factor opens with ethers, mnemonic included', async () => {
    const acct = await createAccount({ words: 24 });
    const ks = await encryptKeystore(
      { privateKey: acct.privateKey, mnemonic: { entropy: acct.entropy, path: acct.path, locale: 'en' } },
      enc('pässword ✓'),
    );
    expect(ks.crypto.kdfparams).toMatchObject({ n: 1 << 17, r: 8, p: 1, dklen: 32 });
    const w = await Wallet.fromEncryptedJson(JSON.stringify(ks), 'pässword ✓');
    expect(w.address).toBe(acct.address);
    expect((w as HDNodeWallet).mnemonic?.phrase).toBe(acct.phrase);
    expect((w as HDNodeWallet).path).toBe(DEFAULT_HD_PATH);
  });

  it('a keystore written by ethers opens with emr (key, address and mnemonic)', async () => {
    const w = Wallet.createRandom();
    const json = await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey, mnemonic: w.mnemonic! }, 'hunter2hunter2', {
      scrypt: { N: 1 << 12 },
    });
    const secret = await decryptKeystore(parseKeystore(json), enc('hunter2hunter2'));
    expect('0x' + Buffer.from(secret.privateKey).toString('hex')).toBe(w.privateKey);
    expect(HDNodeWallet.fromPhrase(w.mnemonic!.phrase).address).toBe(w.address);
    expect(Buffer.from(secret.mnemonic!.entropy).toString('hex')).toBe(w.mnemonic!.entropy.slice(2));
  });

  it('the same mnemonic gives the same address as ethers on its default HD path', async () => {
    const phrase = 'test test test test test test test test test test test junk';
    const mine = await createAccount({ phrase });
    expect(mine.address).toBe(HDNodeWallet.fromPhrase(phrase).address);
    expect(mine.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'); // anvil/hardhat account 0
    expect(addressOf(mine.privateKey)).toBe(mine.address.slice(2).toLowerCase());
  });

  it('a wrong passphrase is BadPassphraseError; a tampered MAC or ciphertext is refused too', async () => {
    const pk = randomBytes(32);
    const ks = await encryptKeystore({ privateKey: pk }, enc('right'), FAST);
    await expect(decryptKeystore(ks, enc('wrong'))).rejects.toBeInstanceOf(BadPassphraseError);
    const flipped = { ...ks, crypto: { ...ks.crypto, ciphertext: ks.crypto.ciphertext.replace(/^./, (c) => (c === '0' ? '1' : '0')) } };
    await expect(decryptKeystore(flipped, enc('right'))).rejects.toBeInstanceOf(BadPassphraseError);
    const badAddr = { ...ks, address: '00'.repeat(20) };
    await expect(decryptKeystore(badAddr, enc('right'))).rejects.toBeInstanceOf(IntegrityError);
  });

  it('refuses files that are not v3 keystores, and hostile scrypt parameters', async () => {
    expect(() => parseKeystore('{nope')).toThrow(UsageError);
    expect(() => parseKeystore(JSON.stringify({ version: 1, crypto: {} }))).toThrow(UsageError);
    const ks = await encryptKeystore({ privateKey: randomBytes(32) }, enc('x'), FAST);
    const huge = { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, n: 2 ** 30 } } };
    await expect(decryptKeystore(huge, enc('x'))).rejects.toBeInstanceOf(IntegrityError);
  });

  it('2.6 the test-only cost: only under EMR_TEST=1, and a keystore below 2^12 is refused outside it', async () => {
    expect(newKeystoreCost({})).toBe(DEFAULT_SCRYPT);
    expect(newKeystoreCost({ EMR_TEST: '1' })).toBe(DEFAULT_SCRYPT);
    expect(newKeystoreCost({ EMR_TEST: '1', EMR_TEST_KDF: 'cheap' })).toBe(TEST_SCRYPT);
    expect(TEST_SCRYPT.N).toBeLessThan(MIN_REAL_SCRYPT_N);
    for (const env of [{ EMR_TEST_KDF: 'cheap' }, { EMR_TEST: 'true', EMR_TEST_KDF: 'cheap' }, { EMR_TEST: '1', EMR_TEST_KDF: '1' }]) {
      expect(() => newKeystoreCost(env)).toThrow(UsageError);
    }
    const cheap = await encryptKeystore({ privateKey: randomBytes(32) }, enc('x'), TEST_SCRYPT);
    expect(() => refuseTestCost(cheap, {})).toThrow(IntegrityError);
    expect(() => refuseTestCost(cheap, { EMR_TEST: '0' })).toThrow(/below 2\^12/);
    expect(() => refuseTestCost(cheap, { EMR_TEST: '1' })).not.toThrow();
    const light = { ...cheap, crypto: { ...cheap.crypto, kdfparams: { ...cheap.crypto.kdfparams, n: MIN_REAL_SCRYPT_N } } };
    expect(() => refuseTestCost(light, {})).not.toThrow();
  });

  it('the identity secret is deterministic per account and separated per kind', () => {
    const pk = randomBytes(32);
    const a = deriveIdentitySecret(pk, 'x25519');
    expect(Buffer.from(deriveIdentitySecret(pk, 'x25519'))).toEqual(Buffer.from(a));
    expect(Buffer.from(deriveIdentitySecret(pk, 'mlkem768x25519'))).not.toEqual(Buffer.from(a));
    expect(Buffer.from(deriveIdentitySecret(randomBytes(32), 'x25519'))).not.toEqual(Buffer.from(a));
  });
});
