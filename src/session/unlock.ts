/**
 * Floor 4: composes the keystore (src/keys) and the age identity (src/crypto) into the
 * acting identity of a command. docs/KEYSTORE.md § 3: the age identity is derived from the
 * account secret, so unlocking the keystore is enough to sign and to decrypt.
 */

import type { Wallet } from 'ethers';
import { keyFromAgent } from '../agent/client.js';
import type { Context } from '../context.js';
import type { TypedDataSigner } from '../crypto/bundle-signature.js';
import { mlkem768x25519IdentityFromSeed, x25519IdentityFromSecret } from '../crypto/identity.js';
import { keyTypedDataSigner } from '../crypto/typed-data-signer.js';
import { BadPassphraseError, NotFoundError, UsageError } from '../errors.js';
import { deriveIdentitySecret, type IdentityKind } from '../keys/derive.js';
import { addressOf, decryptKeystore } from '../keys/keystore-v3.js';
import type { Profile } from '../keys/profiles.js';
import { refuseTestCost } from '../keys/test-kdf.js';
import { askPassphrase, wrongPassphraseHint } from './prompts.js';

export interface AgeKeys {
  /** `AGE-SECRET-KEY-1…` (or the PQ form): a secret, never printed unless exported. */
  identity: string;
  recipient: string;
}

export function ageKeysFromAccount(privateKey: Uint8Array, kind: IdentityKind): AgeKeys {
  const secret = deriveIdentitySecret(privateKey, kind);
  try {
    const pair = kind === 'x25519' ? x25519IdentityFromSecret(secret) : mlkem768x25519IdentityFromSeed(secret);
    return { identity: pair.identity, recipient: pair.recipient };
  } finally {
    secret.fill(0);
  }
}

export interface Unlocked {
  profile: Profile;
  /** The account secret; zeroed when the command's context closes. */
  privateKey: Uint8Array;
  age: AgeKeys;
  /** Signs EIP-712 data (a record bundle) with noble: what a command that sends no transaction needs. */
  signer: TypedDataSigner;
  /** An ethers Wallet for transactions; ethers is loaded on first use. */
  wallet(): Promise<Wallet>;
}

/** `privateKey` is the account of `profile` (its address). */
export function isProfileKey(profile: Profile, privateKey: Uint8Array): boolean {
  return `0x${addressOf(privateKey)}` === profile.address.toLowerCase();
}

/** Tries a person at a terminal gets for a mistyped passphrase; a file or env source gets one. */
export const PASSPHRASE_TRIES = 3;

/**
 * Decrypts a profile's keystore with its passphrase. At a terminal a wrong passphrase is
 * asked again, up to PASSPHRASE_TRIES times; from a file or the environment it fails at once
 * (retrying the same bytes cannot help). Exit 5 after the last try.
 */
export async function openKeystore(ctx: Context, profileName: string): Promise<Awaited<ReturnType<typeof decryptKeystore>>> {
  const keystore = ctx.profiles.readKeystore(profileName);
  // docs/KEYSTORE.md § 2.6: a test-only cost is refused outside EMR_TEST=1, before any prompt.
  refuseTestCost(keystore, ctx.env);
  const tries = ctx.passphraseIsPrompted ? PASSPHRASE_TRIES : 1;
  for (let i = 1; ; i++) {
    const pass = await askPassphrase(ctx, `unlock profile '${profileName}'`);
    try {
      return await decryptKeystore(keystore, pass);
    } catch (e) {
      if (!(e instanceof BadPassphraseError)) throw e;
      if (i >= tries) throw new BadPassphraseError(e.message, { hint: wrongPassphraseHint(ctx), cause: e });
      ctx.io.stderr.write(`Wrong passphrase; ${tries - i} ${tries - i === 1 ? 'try' : 'tries'} left.\n`);
    } finally {
      pass.fill(0);
    }
  }
}

/**
 * Unlocks a profile's keystore once per command run (cached on the context). A wrong
 * passphrase is BadPassphraseError (exit 5) and leaves the keystore untouched: it is only read.
 */
export async function unlock(ctx: Context, name?: string): Promise<Unlocked> {
  const profileName = ctx.profileName(name);
  const key = `unlocked:${profileName}`;
  const cached = ctx.cache.get(key) as Unlocked | undefined;
  if (cached) return cached;
  const profile = ctx.profiles.get(profileName);
  // A running key agent (docs/KEYSTORE.md § 6) answers first; its key must be this profile's.
  const held = await keyFromAgent(ctx.home, profileName, (line) => ctx.io.stderr.write(line + '\n'));
  if (held) ctx.holdSecret(held);
  const secret: { privateKey: Uint8Array; mnemonic?: { entropy: Uint8Array } | null } =
    held && isProfileKey(profile, held) ? { privateKey: held } : await openKeystore(ctx, profileName);
  ctx.holdSecret(secret.privateKey);
  if (secret.mnemonic) secret.mnemonic.entropy.fill(0);
  const age = ageKeysFromAccount(secret.privateKey, profile.identityKind);
  let wallet: Wallet | undefined;
  const unlocked: Unlocked = {
    profile,
    privateKey: secret.privateKey,
    age,
    signer: keyTypedDataSigner(secret.privateKey, profile.address),
    async wallet() {
      if (!wallet) {
        // ethers (~0.3 s to load here) only for a command that sends a transaction: `emr
        // encrypt`, `decrypt` and bundle signing never ask for a wallet (issue 11). The
        // subpath, not 'ethers': a lazy import hands over the whole namespace, so the bundler
        // kept all of ethers (WebSocket, Etherscan and fallback providers, eight wordlists)
        // in the chunk every chain command compiled: 990 KB (issue 11 goal 3).
        const { Wallet } = await import('ethers/wallet');
        wallet = new Wallet('0x' + Buffer.from(secret.privateKey).toString('hex'));
      }
      return wallet;
    },
  };
  ctx.cache.set(key, unlocked);
  return unlocked;
}

/** The acting profile when this run has already unlocked it (nothing is asked). */
export function unlockedNow(ctx: Context): Unlocked | undefined {
  if (ctx.profiles.list().length === 0) return undefined;
  try {
    return ctx.cache.get(`unlocked:${ctx.profileName()}`) as Unlocked | undefined;
  } catch {
    return undefined;
  }
}

/**
 * The acting profile unlocked for reading type names (docs/CONTRACT.md § Privacy: a slot
 * names a type only with the patient's key), when that asks nothing nobody can answer: no
 * profile, or no passphrase source and no terminal, gives undefined and the caller shows
 * slots as unknown. A wrong passphrase is still exit 5.
 */
export async function unlockIfAnswerable(ctx: Context): Promise<Unlocked | undefined> {
  if (ctx.profiles.list().length === 0) return undefined;
  try {
    return await unlock(ctx);
  } catch (e) {
    if (e instanceof UsageError || e instanceof NotFoundError) return undefined;
    throw e;
  }
}
