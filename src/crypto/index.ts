/**
 * Public surface of the crypto ground floor: age v1 files and emr record bundles.
 * Knows nothing of chain or IPFS (house rules).
 */

export { type DecryptFileOptions, decryptFile, type EncryptFileOptions, encryptFile, readFileKey } from './age-file.js';
export {
  type DecryptBundleOptions,
  type DecryptBundleResult,
  decryptBundle,
  type EncryptBundleOptions,
  type EncryptBundleResult,
  encryptBundle,
  type RecordMeta,
  verifyBundle,
} from './bundle.js';
export { BUNDLE_MAGIC, type BundleMetadata, MAX_METADATA_SIZE, TRAILER_SIZE } from './bundle-format.js';
export {
  bundleDomain,
  EIP712_TYPES,
  EIP712_TYPES_V2,
  eip712Types,
  eip712Value,
  type SigningDomain,
  type TypedDataSigner,
  verifyBundleSignature,
} from './bundle-signature.js';
export {
  generateIdentity,
  type IdentityKind,
  type IdentityPair,
  identityToRecipient,
  mlkem768x25519IdentityFromSeed,
  type ParsedRecipient,
  parseIdentity,
  parseRecipient,
  x25519IdentityFromSecret,
} from './identity.js';
export type { Input, Output } from './io.js';
export type { FileKey } from './keys.js';
export { keyTypedDataSigner } from './typed-data-signer.js';
