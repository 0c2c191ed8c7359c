/**
 * Branded key types: a file key, a stanza wrapping key and a recipient key are all
 * "just bytes", and swapping them is a classic bug. The brands
 * make such a swap a compile error; the constructors check lengths at run time.
 */
import { randomBytes } from 'node:crypto';
import { InternalError } from '../errors.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** The 16-byte per-file symmetric key (age.md § "File key"). */
export type FileKey = Brand<Uint8Array, 'FileKey'>;
/** A 32-byte X25519 public key (age.md § "X25519 recipient type"). */
export type X25519PublicKey = Brand<Uint8Array, 'X25519PublicKey'>;
/** A 32-byte X25519 scalar. */
export type X25519SecretKey = Brand<Uint8Array, 'X25519SecretKey'>;
/** A 1216-byte ML-KEM-768 + X25519 (X-Wing) public key. */
export type HybridPublicKey = Brand<Uint8Array, 'HybridPublicKey'>;
/** The 32-byte X-Wing decapsulation seed. */
export type HybridSeed = Brand<Uint8Array, 'HybridSeed'>;

export const FILE_KEY_SIZE = 16;

function brandOf<T extends Uint8Array>(bytes: Uint8Array, len: number, what: string): T {
  if (bytes.length !== len) {
    throw new InternalError(`${what} must be ${len} bytes`, { hint: 'this is a bug in emr; please report it' });
  }
  return bytes as T;
}

export const asFileKey = (b: Uint8Array): FileKey => brandOf<FileKey>(b, FILE_KEY_SIZE, 'file key');
export const asX25519PublicKey = (b: Uint8Array): X25519PublicKey => brandOf<X25519PublicKey>(b, 32, 'X25519 public key');
export const asX25519SecretKey = (b: Uint8Array): X25519SecretKey => brandOf<X25519SecretKey>(b, 32, 'X25519 secret key');
export const asHybridPublicKey = (b: Uint8Array): HybridPublicKey => brandOf<HybridPublicKey>(b, 1216, 'mlkem768x25519 public key');
export const asHybridSeed = (b: Uint8Array): HybridSeed => brandOf<HybridSeed>(b, 32, 'mlkem768x25519 seed');

/** age.md § "File key": 16 bytes from a CSPRNG, fresh per file. */
export function generateFileKey(): FileKey {
  return asFileKey(new Uint8Array(randomBytes(FILE_KEY_SIZE)));
}
