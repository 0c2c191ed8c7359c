/**
 * A new account from a fresh BIP-39 mnemonic on the standard Ethereum path, so the phrase
 * restores the same address in ethers, MetaMask or cast (docs/KEYSTORE.md § 1).
 */
import { randomBytes } from 'node:crypto';
import { HDNodeWallet, Mnemonic } from 'ethers/wallet';
import { DEFAULT_HD_PATH } from './keystore-v3.js';

export interface NewAccount {
  address: string;
  privateKey: Uint8Array;
  entropy: Uint8Array;
  phrase: string;
  path: string;
}

export async function createAccount(opts: { words?: 12 | 24; phrase?: string } = {}): Promise<NewAccount> {
  const mnemonic = opts.phrase
    ? Mnemonic.fromPhrase(opts.phrase.trim().split(/\s+/).join(' '))
    : Mnemonic.fromEntropy(randomBytes(opts.words === 12 ? 16 : 32));
  const node = HDNodeWallet.fromMnemonic(mnemonic, DEFAULT_HD_PATH);
  return {
    address: node.address,
    privateKey: Buffer.from(node.privateKey.slice(2), 'hex'),
    entropy: Buffer.from(mnemonic.entropy.slice(2), 'hex'),
    phrase: mnemonic.phrase,
    path: DEFAULT_HD_PATH,
  };
}
