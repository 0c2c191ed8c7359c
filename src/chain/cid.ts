/**
 * A record's CID on chain is (cidCodec, sha2-256 digest): CONTRACT.md § Model. Only
 * CIDv1 with a sha2-256 multihash and codec raw (0x55) or dag-pb (0x70) is accepted, so
 * the CID can be rebuilt exactly from the event.
 */
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { UsageError } from '../errors.js';
import { CODEC_DAG_PB, CODEC_RAW } from './types.js';

const SHA2_256 = 0x12;

export interface CidParts {
  cidCodec: number;
  /** 0x-prefixed 32-byte sha2-256 digest. */
  digest: string;
}

export function cidToParts(cid: string): CidParts {
  let parsed: CID;
  try {
    parsed = CID.parse(cid);
  } catch (e) {
    throw new UsageError(`invalid CID: ${cid.slice(0, 80)}`, { hint: 'expected a CIDv1 (bafy…/bafk…)', cause: e });
  }
  if (parsed.version !== 1 || parsed.multihash.code !== SHA2_256 || parsed.multihash.size !== 32) {
    throw new UsageError('unsupported CID: records must be CIDv1 with a sha2-256 hash', {
      hint: 'store records with CIDv1 (raw leaves)',
    });
  }
  if (parsed.code !== CODEC_RAW && parsed.code !== CODEC_DAG_PB) {
    throw new UsageError(`unsupported CID codec 0x${parsed.code.toString(16)}`, { hint: 'use raw or dag-pb' });
  }
  return { cidCodec: parsed.code, digest: `0x${Buffer.from(parsed.multihash.digest).toString('hex')}` };
}

export function partsToCid(parts: CidParts): string {
  const bytes = Buffer.from(parts.digest.slice(2), 'hex');
  return CID.createV1(parts.cidCodec, Digest.create(SHA2_256, bytes)).toString();
}
