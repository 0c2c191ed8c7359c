/**
 * A new profile, made one way for `emr keygen`, `emr key import` and the demo's actors
 * (docs/KEYSTORE.md § 4): the encryption identity derived from the account (§ 3), the
 * keystore saved beside the profile (§ 2), and the first profile of a home made its default.
 */
import type { Config } from '../config.js';
import type { NewAccount } from '../keys/create.js';
import type { IdentityKind } from '../keys/derive.js';
import { encryptKeystore, type KeystoreV3, type ScryptParams } from '../keys/keystore-v3.js';
import type { Profile, ProfileStore, Role } from '../keys/profiles.js';
import { type AgeKeys, ageKeysFromAccount } from './unlock.js';

/** A new account's keystore under a new passphrase, its recovery phrase inside (§ 2). */
export function sealNewAccount(made: NewAccount, pass: Uint8Array, cost: ScryptParams): Promise<KeystoreV3> {
  return encryptKeystore({ privateKey: made.privateKey, mnemonic: { entropy: made.entropy, path: made.path, locale: 'en' } }, pass, cost);
}

export interface NewProfile {
  name: string;
  role: Role;
  kind: IdentityKind;
  address: string;
  privateKey: Uint8Array;
  /** A new keystore, or an imported one kept byte-for-byte (text). */
  keystore: KeystoreV3 | string;
  createdAt: Date;
  force?: boolean;
}

/**
 * Saves the profile and its keystore. With `config`, a home without a default profile gets
 * this one (the demo picks its own default and passes none).
 */
export function saveNewProfile(home: { profiles: ProfileStore; config?: Config }, p: NewProfile): { profile: Profile; age: AgeKeys } {
  const age = ageKeysFromAccount(p.privateKey, p.kind);
  const profile: Profile = {
    name: p.name,
    address: p.address,
    role: p.role,
    identityKind: p.kind,
    recipient: age.recipient,
    createdAt: p.createdAt.toISOString(),
  };
  home.profiles.save(profile, p.keystore, { force: !!p.force });
  if (home.config && !home.config.get('defaultProfile')) home.config.update({ defaultProfile: p.name });
  return { profile, age };
}
