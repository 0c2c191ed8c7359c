/**
 * Block verification (docs/STORAGE.md § "Reading"): every block is hashed and compared
 * with the digest its CID names before a single byte of it is used, whichever backend
 * (local disk, a Kubo node, a cluster proxy) delivered it. Nothing a store returns is
 * trusted.
 */
import { createHash } from 'node:crypto';
import type { CID } from 'multiformats/cid';
import { IntegrityError } from '../errors.js';
import { isRecordCodec } from './cid.js';
import { SHA2_256 } from './settings.js';

const HINT = 'the IPFS store returned bytes that do not match the CID; the copy is corrupted or the node is not trustworthy';

/** Throws IntegrityError unless `bytes` hash (sha2-256) to the digest `cid` names. */
export function verifyBlock(cid: CID, bytes: Uint8Array): void {
  if (!isRecordCodec(cid.code) || cid.multihash.code !== SHA2_256 || cid.multihash.digest.length !== 32) {
    throw new IntegrityError(`block ${cid} uses an unsupported codec or hash`, { hint: HINT });
  }
  const actual = createHash('sha256').update(bytes).digest();
  const expected = cid.multihash.digest;
  // Not a secret: an ordinary comparison is fine.
  if (!actual.equals(expected)) {
    throw new IntegrityError(`block ${cid} does not match its CID`, { hint: HINT });
  }
}
