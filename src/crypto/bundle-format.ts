/**
 * The emr record bundle: the plaintext inside the age file (docs/FORMAT.md § 3).
 *
 *   "emr-bundle/v1\n"                      magic line, 14 bytes
 *   uint32 BE  metadata length L           1 ≤ L ≤ MAX_METADATA_SIZE
 *   L bytes    canonical JSON metadata     (§ 3.2)
 *   …          content bytes
 *   32 bytes   SHA-256(content)            trailer (§ 3.3), 105 bytes in all
 *   8 bytes    uint64 BE content size
 *   65 bytes   EIP-712 signature r ‖ s ‖ v by the author
 *
 * The hash and size sit in a trailer because they are computed while streaming.
 */
import { IntegrityError, UsageError } from '../errors.js';
import { toChecksumAddress } from './address.js';

export const BUNDLE_MAGIC = Buffer.from('emr-bundle/v1\n', 'latin1');
export const BUNDLE_FORMAT_VERSION = 1;
/** Metadata with clinical fields (§ 3.4). */
export const BUNDLE_FORMAT_VERSION_2 = 2;
/** Metadata naming the author's organisation (docs/FORMAT.md § 3.5). */
export const BUNDLE_FORMAT_VERSION_3 = 3;
/** Keeps magic + length + metadata inside the first 64 KiB STREAM chunk. */
export const MAX_METADATA_SIZE = 32 * 1024;
export const TRAILER_SIZE = 32 + 8 + 65;
const MAX_TEXT = 4096;

/** The metadata as stored (docs/FORMAT.md § 3.2). Absent optionals are omitted. */
export interface BundleMetadata {
  v: 1 | 2 | 3;
  patient: string;
  author: string;
  type: string;
  title?: string;
  fileName?: string;
  mediaType?: string;
  createdAt: number;
  /** EIP-712 domain fields the signature was made under; absent = the offline domain. */
  chainId?: string;
  verifyingContract?: string;
  /**
   * Clinical metadata (docs/FORMAT.md § 3.4), all optional, all inside the encryption.
   * Any of them present makes the metadata version 2; without them a writer emits
   * version 1, byte for byte as before.
   */
  /** FHIR version of the content when it is a FHIR resource ("4.0.1"). */
  fhir?: string;
  /** Date of care: ISO 8601 date or date-time, as found in the resource. */
  careDate?: string;
  /** Decimal id of the record this one corrects (docs/FORMAT.md § 3.4). */
  supersedes?: string;
  facility?: string;
  encounterStart?: string;
  encounterEnd?: string;
  /** Local record number (MRN) at the facility. */
  mrn?: string;
  /** The organisation the author wrote for: its decimal id on this contract (docs/FORMAT.md § 3.5). */
  org?: string;
}

const V1_KEYS = ['author', 'chainId', 'createdAt', 'fileName', 'mediaType', 'patient', 'title', 'type', 'v', 'verifyingContract'];
/** The version-2 fields, in the order the EIP-712 struct signs them (§ 4.2). */
export const V2_FIELDS = ['fhir', 'careDate', 'supersedes', 'facility', 'encounterStart', 'encounterEnd', 'mrn'] as const;
/** Version 3 (§ 3.5) signs the organisation after the version-2 fields. */
export const V3_FIELDS = [...V2_FIELDS, 'org'] as const;
const KEYS = [...V1_KEYS, ...V3_FIELDS].sort();
const OPTIONAL_TEXT = ['title', 'fileName', 'mediaType'] as const;
const DATE = /^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$/;
const SHORT_TEXT = 256;

/** True when the metadata carries a version-2 field (§ 3.4). */
export function hasV2Fields(m: Partial<BundleMetadata>): boolean {
  return V2_FIELDS.some((k) => m[k] !== undefined);
}

/** Canonical JSON: keys in code-point order, no whitespace, UTF-8 (docs/FORMAT.md § 3.2). */
export function encodeMetadata(m: BundleMetadata): Buffer {
  const obj: Record<string, unknown> = {};
  for (const k of KEYS) {
    const v = (m as unknown as Record<string, unknown>)[k];
    if (v !== undefined) obj[k] = v;
  }
  const json = Buffer.from(JSON.stringify(obj), 'utf8');
  if (json.length > MAX_METADATA_SIZE) {
    throw new UsageError('record metadata too large', { hint: `keep title and names short (metadata ≤ ${MAX_METADATA_SIZE} bytes)` });
  }
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([BUNDLE_MAGIC, len, json]);
}

function bad(what: string): IntegrityError {
  return new IntegrityError(`invalid record bundle: ${what}`, {
    hint: 'the record was not produced by emr or was altered before encryption',
  });
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;

/** Strict parse: canonical bytes, known keys only, typed values, checksummed addresses. */
export function parseMetadata(bytes: Uint8Array): BundleMetadata {
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('metadata is not UTF-8 JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw bad('metadata is not an object');
  const m = obj as Record<string, unknown>;
  if (!Object.keys(m).every((k) => KEYS.includes(k))) throw bad('unknown metadata field');
  if (m.v !== 1 && m.v !== 2 && m.v !== 3) throw bad('unsupported metadata version');
  // § 3.4: version 2 iff a version-2 field is present (one metadata, one version).
  // § 3.5: version 3 iff an organisation is named (with or without the § 3.4 fields).
  const expected = m.org !== undefined ? 3 : hasV2Fields(m as Partial<BundleMetadata>) ? 2 : 1;
  if (m.v !== expected) throw bad('metadata version does not match its fields');
  if (m.org !== undefined && (typeof m.org !== 'string' || !/^[1-9][0-9]{0,17}$/.test(m.org))) throw bad('org');
  if (m.fhir !== undefined && m.fhir !== '4.0.1') throw bad('fhir');
  for (const k of ['careDate', 'encounterStart', 'encounterEnd'] as const)
    if (m[k] !== undefined && (typeof m[k] !== 'string' || !DATE.test(m[k] as string))) throw bad(k);
  if (m.supersedes !== undefined && (typeof m.supersedes !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(m.supersedes)))
    throw bad('supersedes');
  for (const k of ['facility', 'mrn'] as const)
    if (m[k] !== undefined && (typeof m[k] !== 'string' || (m[k] as string).length === 0 || (m[k] as string).length > SHORT_TEXT))
      throw bad(k);
  for (const k of ['patient', 'author'] as const) {
    const a = m[k];
    if (typeof a !== 'string' || toChecksumAddress(a) !== a) throw bad(`${k} is not a checksummed address`);
  }
  if (!isText(m.type) || m.type.length === 0) throw bad('type');
  for (const k of OPTIONAL_TEXT) if (m[k] !== undefined && !isText(m[k])) throw bad(k);
  if (!Number.isSafeInteger(m.createdAt) || (m.createdAt as number) < 0) throw bad('createdAt');
  if (m.chainId !== undefined && (typeof m.chainId !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(m.chainId))) throw bad('chainId');
  const vc = m.verifyingContract;
  if (vc !== undefined && (typeof vc !== 'string' || toChecksumAddress(vc) !== vc)) throw bad('verifyingContract');
  const meta = m as unknown as BundleMetadata;
  // Canonical form only: one metadata, one byte string (no duplicate keys, no whitespace).
  if (
    !encodeMetadata(meta)
      .subarray(BUNDLE_MAGIC.length + 4)
      .equals(Buffer.from(bytes))
  )
    throw bad('metadata is not canonical');
  return meta;
}

export interface Trailer {
  sha256: Uint8Array;
  size: bigint;
  signature: Uint8Array;
}

export function encodeTrailer(t: Trailer): Buffer {
  if (t.signature.length !== 65) throw new UsageError('signature must be 65 bytes', { hint: 'use an ECDSA secp256k1 signer (r ‖ s ‖ v)' });
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(t.size);
  return Buffer.concat([t.sha256, size, t.signature]);
}

export function parseTrailer(b: Uint8Array): Trailer {
  if (b.length !== TRAILER_SIZE) throw bad('trailer is truncated');
  const buf = Buffer.from(b);
  return { sha256: buf.subarray(0, 32), size: buf.readBigUInt64BE(32), signature: buf.subarray(40) };
}

/** Validates and normalises caller-supplied addresses (UsageError: it is the caller's input). */
export function checksumAddress(a: string, what: string): string {
  const sum = toChecksumAddress(a);
  if (sum === null) throw new UsageError(`${what} is not an Ethereum address`, { hint: 'pass a 0x… address (40 hex digits)' });
  return sum;
}
