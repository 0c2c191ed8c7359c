/**
 * Public surface of the crypto ground floor: age v1 files and emr record bundles.
 * Knows nothing of chain or IPFS (house rules).
 */
export {
  generateIdentity,
  identityToRecipient,
  mlkem768x25519IdentityFromSeed,
  parseIdentity,
  parseRecipient,
  x25519IdentityFromSecret,
  type IdentityKind,
  type IdentityPair,
  type ParsedRecipient,
} from './identity.js';
export { decryptFile, encryptFile, readFileKey, type DecryptFileOptions, type EncryptFileOptions } from './age-file.js';
export {
  decryptBundle,
  encryptBundle,
  verifyBundle,
  type DecryptBundleOptions,
  type DecryptBundleResult,
  type EncryptBundleOptions,
  type EncryptBundleResult,
  type RecordMeta,
} from './bundle.js';
export { BUNDLE_MAGIC, MAX_METADATA_SIZE, TRAILER_SIZE, type BundleMetadata } from './bundle-format.js';
export { EIP712_TYPES, EIP712_TYPES_V2, eip712Types, bundleDomain, eip712Value, verifyBundleSignature, type SigningDomain, type TypedDataSigner } from './bundle-signature.js';
export type { Input, Output } from './io.js';
export type { FileKey } from './keys.js';
