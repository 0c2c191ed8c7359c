/**
 * Reading a bundle's plaintext (docs/FORMAT.md § 3–4), shared by the streaming and the
 * two-thread decryptors: where the prefix ends, and the checks once the content is hashed.
 */
import type { TypedDataDomain } from 'ethers';
import { IntegrityError } from '../errors.js';
import { BUNDLE_MAGIC, type BundleMetadata, MAX_METADATA_SIZE, parseMetadata, parseTrailer } from './bundle-format.js';
import { bundleDomain, verifyBundleSignature } from './bundle-signature.js';
import { equalBytes, toHex } from './bytes.js';

export type DecryptBundleResult =
  | {
      signed: true;
      metadata: BundleMetadata;
      author: string;
      signatureValid: true;
      sha256: string;
      size: number;
      domain: TypedDataDomain;
    }
  | { signed: false; sha256: string; size: number };

export const truncated = (what = 'truncated'): IntegrityError =>
  new IntegrityError(`invalid record bundle: ${what}`, { hint: 'the record bundle is incomplete' });

export function metadataLength(head: Buffer): number {
  const len = head.readUInt32BE(BUNDLE_MAGIC.length);
  if (len === 0 || len > MAX_METADATA_SIZE) {
    throw new IntegrityError('invalid record bundle: metadata length out of bounds', { hint: `metadata is 1…${MAX_METADATA_SIZE} bytes` });
  }
  return len;
}

/**
 * Parses the prefix from the first plaintext bytes `first` (all of them when the plaintext
 * is shorter than 64 KiB; § 3.2 keeps the prefix inside the first chunk). Returns null for
 * a plaintext without the magic (§ 3.1: passed through unsigned).
 */
export function parseBundlePrefix(first: Buffer): { metadata: BundleMetadata; length: number } | null {
  if (first.length < BUNDLE_MAGIC.length || !first.subarray(0, BUNDLE_MAGIC.length).equals(BUNDLE_MAGIC)) return null;
  if (first.length < BUNDLE_MAGIC.length + 4) throw truncated();
  const len = metadataLength(first);
  const end = BUNDLE_MAGIC.length + 4 + len;
  if (first.length < end) throw truncated('truncated metadata');
  return { metadata: parseMetadata(first.subarray(BUNDLE_MAGIC.length + 4, end)), length: end };
}

/** § 3.3 and § 4.3: the trailer must match the content decrypted, and be signed by the author. */
export async function checkTrailer(
  metadata: BundleMetadata,
  trailer: Uint8Array,
  digest: Uint8Array,
  size: number,
): Promise<DecryptBundleResult> {
  const t = parseTrailer(trailer);
  if (!equalBytes(t.sha256, digest)) {
    throw new IntegrityError('record content hash mismatch', { hint: 'the content does not match what the author signed' });
  }
  if (t.size !== BigInt(size)) {
    throw new IntegrityError('record content size mismatch', { hint: 'the content does not match what the author signed' });
  }
  const author = await verifyBundleSignature(metadata, t.size, digest, t.signature);
  return {
    signed: true,
    metadata,
    author,
    signatureValid: true,
    sha256: toHex(digest),
    size,
    domain: bundleDomain(metadata),
  };
}
