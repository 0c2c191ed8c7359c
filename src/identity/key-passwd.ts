/**
 * `emr key passwd [profile]`, the whole use case (docs/CLI.md § Identity; docs/KEYSTORE.md
 * § 5): opens the keystore with the old passphrase (--password-file / EMR_PASSWORD_FILE /
 * EMR_PASSWORD / the prompt; wrong → exit 5, nothing changed), takes the new one
 * (--new-password-file, or typed twice; the rule of a new key, else exit 2, nothing
 * changed), and re-encrypts the same key (and recovery phrase) under it, replacing the
 * keystore atomically. The address, the age key and the profile stay as they were.
 */
import { IntegrityError } from '../errors.js';
import { encryptKeystore } from '../keys/keystore-v3.js';
import { newKeystoreCost } from '../keys/test-kdf.js';
import type { SessionBase } from '../session/index.js';
import { askReplacementPassphrase } from '../session/prompts.js';
import { isProfileKey, openKeystore } from '../session/unlock.js';

export interface PasswdInput {
  profile?: string;
  newPasswordFile?: string;
  weakPassphraseOk: boolean;
}

export interface PasswdData {
  profile: string;
  address: string;
  keystore: string;
}

export async function changePassphrase(s: SessionBase, input: PasswdInput): Promise<PasswdData> {
  const { ctx } = s;
  const name = ctx.profileName(input.profile);
  const profile = ctx.profiles.get(name); // NOT_FOUND (exit 7) before any prompt
  const secret = await openKeystore(ctx, name);
  ctx.holdSecret(secret.privateKey);
  if (secret.mnemonic) ctx.holdSecret(secret.mnemonic.entropy);
  // Never re-seal a key that is not this profile's (a swapped keystore file).
  if (!isProfileKey(profile, secret.privateKey))
    throw new IntegrityError(`the keystore of '${name}' holds another key than the profile's`, {
      hint: 'restore the profile from its recovery phrase',
    });
  const pass = await askReplacementPassphrase(ctx, `protect profile '${name}'`, {
    file: input.newPasswordFile,
    weakOk: input.weakPassphraseOk,
    userInputs: [name],
  });
  try {
    const keystore = await encryptKeystore(secret, pass, newKeystoreCost(ctx.env));
    ctx.profiles.replaceKeystore(name, keystore);
  } finally {
    pass.fill(0);
  }
  return { profile: name, address: profile.address, keystore: ctx.profiles.keystorePath(name) };
}
