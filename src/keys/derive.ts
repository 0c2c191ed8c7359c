/**
 * The encryption identity is derived from the account secret (docs/KEYSTORE.md § 3), so one
 * backup (the BIP-39 mnemonic, or the v3 keystore) restores both the signing account and
 * the age identity. Design-notes.md § Keys: never derive it from a wallet *signature*
 * (non-deterministic wallets break it, and a phished signature would become the key).
 *
 *   secret32 = HKDF-SHA256(ikm = secp256k1 private key, salt = "emr/age-identity/v1",
 *                          info = kind)          kind ∈ {"x25519", "mlkem768x25519"}
 *
 * The 32 bytes are the X25519 scalar, or the seed of the ML-KEM-768+X25519 hybrid identity.
 * Domain separation by `info` keeps the two kinds independent.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

export type IdentityKind = 'x25519' | 'mlkem768x25519';

export const IDENTITY_SALT = new TextEncoder().encode('emr/age-identity/v1');

export function deriveIdentitySecret(privateKey: Uint8Array, kind: IdentityKind): Uint8Array {
  if (privateKey.length !== 32) throw new RangeError('private key must be 32 bytes');
  return hkdf(sha256, privateKey, IDENTITY_SALT, new TextEncoder().encode(kind), 32);
}

/**
 * The patient's type key (docs/CONTRACT.md § Privacy): which chain slot holds which record
 * type. From the account secret, so it never changes when the age key is rotated.
 *
 *   typeKey = HKDF-SHA256(ikm = secp256k1 private key, salt = "", info = "emr/type-slots/v1")
 */
export function deriveTypeKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) throw new RangeError('private key must be 32 bytes');
  return hkdf(sha256, privateKey, new Uint8Array(0), new TextEncoder().encode('emr/type-slots/v1'), 32);
}
