/**
 * The test-only scrypt cost (docs/KEYSTORE.md § 2.6). The test suite makes hundreds of
 * throw-away keystores and unlocks them in hundreds of processes; at N = 2^17 each unlock
 * costs ~0.5 s of a core. `EMR_TEST_KDF=cheap` together with `EMR_TEST=1` writes N = 2^10
 * instead. Threat: such a keystore falls to a passphrase search ~128 times faster, so a
 * cheap cost MUST never pass silently into real use:
 *
 * - `EMR_TEST_KDF` without `EMR_TEST=1` is a usage error (a stray variable never makes a
 *   real key cheap);
 * - a keystore whose scrypt N is below 2^12 (geth's "light" cost, the smallest that geth,
 *   cast or ethers write) is refused outside `EMR_TEST=1`, before the KDF runs, naming why.
 *
 * Ground floor: node builtins, errors.ts and keystore-v3.ts only.
 */
import { IntegrityError, UsageError } from '../errors.js';
import { DEFAULT_SCRYPT, type KeystoreV3, type ScryptParams } from './keystore-v3.js';

/** The cost `EMR_TEST_KDF=cheap` writes (~4 ms instead of ~0.5 s). */
export const TEST_SCRYPT: ScryptParams = Object.freeze({ N: 1 << 10, r: 8, p: 1 });
/** Below this N a keystore is a test keystore: geth's "light" N = 2^12 is the cheapest real cost. */
export const MIN_REAL_SCRYPT_N = 1 << 12;

const VAR = 'EMR_TEST_KDF';

/** The scrypt cost for a NEW keystore: the default, or TEST_SCRYPT under EMR_TEST=1 with EMR_TEST_KDF=cheap. */
export function newKeystoreCost(env: NodeJS.ProcessEnv): ScryptParams {
  const v = env[VAR];
  if (v === undefined || v === '') return DEFAULT_SCRYPT;
  if (env.EMR_TEST !== '1') {
    throw new UsageError(`${VAR} is test-only and needs EMR_TEST=1`, {
      hint: `unset ${VAR}: a real key is always written at scrypt N = 2^17`,
    });
  }
  if (v !== 'cheap') throw new UsageError(`bad ${VAR}`, { hint: 'test-only: cheap' });
  return TEST_SCRYPT;
}

/**
 * Refuses a keystore with a test-only scrypt cost outside EMR_TEST=1 (called before the KDF
 * runs, on unlock and on import). pbkdf2 keystores are not concerned.
 */
export function refuseTestCost(ks: KeystoreV3, env: NodeJS.ProcessEnv): void {
  if (ks.crypto.kdf !== 'scrypt' || env.EMR_TEST === '1') return;
  const N = Number((ks.crypto.kdfparams as Record<string, unknown>).n);
  if (Number.isFinite(N) && N < MIN_REAL_SCRYPT_N) {
    throw new IntegrityError(`keystore scrypt cost N=${N} is below 2^12: a test-only keystore`, {
      hint: 'it was made for the test suite (EMR_TEST_KDF); make the key again with `emr keygen` or `emr key import --mnemonic`',
    });
  }
}
