/**
 * EIP-712 signature over a record bundle (docs/FORMAT.md § 4). Checkable by anyone with
 * standard Ethereum tooling, e.g. ethers 6 `verifyTypedData(domain, types, value, sig)`.
 * Domain: {name: "emr", version: "1"} plus chainId and verifyingContract when known;
 * without them it is the offline form.
 */
import type { TypedDataDomain, TypedDataField } from 'ethers';
import { IntegrityError } from '../errors.js';
import { recoverAddress } from '../secp256k1.js';
import { toChecksumAddress } from './address.js';
import { type BundleMetadata, V2_FIELDS, V3_FIELDS } from './bundle-format.js';
import { toHex } from './bytes.js';
import { typedDataDigest } from './eip712.js';

export const EIP712_TYPES: Record<string, TypedDataField[]> = {
  Record: [
    { name: 'version', type: 'uint16' },
    { name: 'patient', type: 'address' },
    { name: 'author', type: 'address' },
    { name: 'recordType', type: 'string' },
    { name: 'title', type: 'string' },
    { name: 'fileName', type: 'string' },
    { name: 'mediaType', type: 'string' },
    { name: 'createdAt', type: 'uint64' },
    { name: 'size', type: 'uint64' },
    { name: 'contentHash', type: 'bytes32' },
  ],
};

/**
 * Version-2 metadata (docs/FORMAT.md § 3.4, § 4.2) signs the clinical fields too: the
 * same struct with them appended as strings (absent = ""), so a record's supersedes link,
 * date of care and encounter facts are the author's signed word, not the store's.
 */
export const EIP712_TYPES_V2: Record<string, TypedDataField[]> = {
  Record: [...EIP712_TYPES.Record!, ...V2_FIELDS.map((name) => ({ name, type: 'string' }))],
};

/** Version 3 (docs/FORMAT.md § 3.5): version 2's struct with `string org` appended. */
export const EIP712_TYPES_V3: Record<string, TypedDataField[]> = {
  Record: [...EIP712_TYPES.Record!, ...V3_FIELDS.map((name) => ({ name, type: 'string' }))],
};

/** The struct definition for this metadata's version. */
export function eip712Types(m: Pick<BundleMetadata, 'v'>): Record<string, TypedDataField[]> {
  return m.v === 3 ? EIP712_TYPES_V3 : m.v === 2 ? EIP712_TYPES_V2 : EIP712_TYPES;
}

/** What an ethers Wallet (or any EIP-712 signer) provides. */
export interface TypedDataSigner {
  address: string;
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

export interface SigningDomain {
  chainId?: bigint | number;
  verifyingContract?: string;
}

/**
 * The EIP-712 domain of a record bundle signature, {name: "emr"} (FORMAT.md § 4.1); not
 * the contract's domain for relayed actions (chain/signed-actions.ts `actionDomain`).
 */
export function bundleDomain(m: Pick<BundleMetadata, 'chainId' | 'verifyingContract'>): TypedDataDomain {
  const d: TypedDataDomain = { name: 'emr', version: '1' };
  if (m.chainId !== undefined) d.chainId = BigInt(m.chainId);
  if (m.verifyingContract !== undefined) d.verifyingContract = m.verifyingContract;
  return d;
}

export function eip712Value(m: BundleMetadata, size: bigint, sha256: Uint8Array): Record<string, unknown> {
  const v: Record<string, unknown> = {
    version: m.v,
    patient: m.patient,
    author: m.author,
    recordType: m.type,
    title: m.title ?? '',
    fileName: m.fileName ?? '',
    mediaType: m.mediaType ?? '',
    createdAt: BigInt(m.createdAt),
    size,
    contentHash: `0x${toHex(sha256)}`,
  };
  if (m.v === 2) for (const k of V2_FIELDS) v[k] = m[k] ?? '';
  if (m.v === 3) for (const k of V3_FIELDS) v[k] = m[k] ?? '';
  return v;
}

/**
 * Recovers the signer and requires it to be `metadata.author`: the EIP-712 digest of the
 * metadata (./eip712.ts) and the address recovered from it (../secp256k1.ts), the address
 * ethers' `verifyTypedData` gives, without loading ethers on the decrypt path.
 */
export async function verifyBundleSignature(m: BundleMetadata, size: bigint, sha256: Uint8Array, signature: Uint8Array): Promise<string> {
  const malformed = (cause?: unknown) =>
    new IntegrityError('record signature is malformed', { hint: 'the record bundle was altered', cause });
  // docs/FORMAT.md § 4.3: exactly r ‖ s ‖ v with v ∈ {27, 28} and low s: EIP-155-style v
  // values or the high-s twin would give one signature several encodings (malleability).
  if (signature.length !== 65 || (signature[64] !== 27 && signature[64] !== 28)) throw malformed();
  let digest: Uint8Array;
  try {
    digest = typedDataDigest(bundleDomain(m), eip712Types(m), eip712Value(m, size, sha256));
  } catch (e) {
    throw malformed(e);
  }
  const raw = recoverAddress(digest, signature);
  if (!raw) throw malformed();
  const signer = toChecksumAddress(`0x${toHex(raw)}`)!;
  if (signer !== toChecksumAddress(m.author)) {
    throw new IntegrityError('record signature is not by its author', {
      hint: 'the record was signed by a different key than the author it names',
      details: { author: m.author, signer },
    });
  }
  return signer;
}
