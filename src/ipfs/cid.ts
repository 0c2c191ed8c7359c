/**
 * CIDs on chain (docs/STORAGE.md § "CIDs on chain").
 *
 * The contract stores a record root as a 32-byte sha2-256 digest plus a codec byte
 * (0x55 raw for single-block records, 0x70 dag-pb otherwise), so that a CID costs one
 * storage slot. These helpers rebuild the CIDv1 string off-chain and take it apart.
 * `multiformats` is small and pure, so it is imported eagerly.
 */
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';
import { UsageError } from '../errors.js';
import { CODEC_DAG_PB, CODEC_RAW, type RecordCodec, SHA2_256 } from './settings.js';

const HINT = 'a record CID is a CIDv1 with a sha2-256 hash and the raw (0x55) or dag-pb (0x70) codec';

export function isRecordCodec(codec: number): codec is RecordCodec {
  return codec === CODEC_RAW || codec === CODEC_DAG_PB;
}

/** The CIDv1 string (base32) for a codec byte and a 32-byte sha2-256 digest. */
export function cidFromDigest(codec: number, digest: Uint8Array): string {
  if (!isRecordCodec(codec)) {
    throw new UsageError(`unsupported CID codec 0x${codec.toString(16)}`, { hint: HINT });
  }
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new UsageError('a sha2-256 digest must be 32 bytes', { hint: HINT });
  }
  return CID.createV1(codec, createDigest(SHA2_256, Uint8Array.from(digest))).toString();
}

export interface ParsedRecordCid {
  /** The normalised CIDv1 (a CIDv0 `Qm…` input becomes its dag-pb CIDv1). */
  cid: CID;
  codec: RecordCodec;
  /** The 32-byte sha2-256 digest of the root block (a copy). */
  digest: Uint8Array;
}

/**
 * Parses and checks a record CID. Anything that is not sha2-256 over raw or dag-pb is
 * refused: another hash (identity!) or codec would let content escape verification.
 */
export function parseRecordCid(cid: string | CID): ParsedRecordCid {
  let parsed: CID;
  try {
    const c = typeof cid === 'string' ? CID.parse(cid.trim()) : CID.asCID(cid);
    if (c === null) throw new Error('not a CID object');
    parsed = c;
  } catch (e) {
    throw new UsageError('not a valid CID', { hint: HINT, cause: e });
  }
  if (!isRecordCodec(parsed.code)) {
    throw new UsageError(`unsupported CID codec 0x${parsed.code.toString(16)}`, { hint: HINT });
  }
  if (parsed.multihash.code !== SHA2_256 || parsed.multihash.digest.length !== 32) {
    throw new UsageError('unsupported CID hash (only sha2-256 is accepted)', { hint: HINT });
  }
  return {
    cid: parsed.toV1(),
    codec: parsed.code,
    digest: Uint8Array.from(parsed.multihash.digest),
  };
}

/** The 32-byte sha2-256 digest a CID names (what the chain stores). */
export function digestOfCid(cid: string | CID): Uint8Array {
  return parseRecordCid(cid).digest;
}

/** The codec byte a CID carries (0x55 raw or 0x70 dag-pb). */
export function codecOfCid(cid: string | CID): RecordCodec {
  return parseRecordCid(cid).codec;
}
