import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import { identity } from 'multiformats/hashes/identity';
import { sha256 } from 'multiformats/hashes/sha2';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { cidFromDigest, codecOfCid, digestOfCid, parseRecordCid } from '../../src/ipfs/cid.js';

describe('cidFromDigest / digestOfCid (STORAGE.md § CIDs on chain)', () => {
  it('round-trips any digest for both codecs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom(0x55, 0x70), (digest, codec) => {
        const cid = cidFromDigest(codec, digest);
        expect(cid.startsWith('b')).toBe(true); // CIDv1, base32
        expect(digestOfCid(cid)).toEqual(digest);
        expect(codecOfCid(cid)).toBe(codec);
        expect(cidFromDigest(codecOfCid(cid), digestOfCid(cid))).toBe(cid);
      }),
    );
  });

  it('matches a CID computed by multiformats for known bytes', async () => {
    const bytes = new TextEncoder().encode('hello');
    const mh = await sha256.digest(bytes);
    const expected = CID.createV1(0x55, mh).toString();
    expect(cidFromDigest(0x55, mh.digest)).toBe(expected);
    expect(expected).toBe('bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq');
  });

  it('normalises a CIDv0 to its dag-pb CIDv1 and accepts base58 CIDv1', async () => {
    const mh = await sha256.digest(new Uint8Array([1, 2, 3]));
    const v0 = CID.createV0(mh).toString();
    const parsed = parseRecordCid(v0);
    expect(parsed.codec).toBe(0x70);
    expect(parsed.cid.version).toBe(1);
    expect(parsed.digest).toEqual(mh.digest);
    const b58 = CID.createV1(0x55, mh).toString((await import('multiformats/bases/base58')).base58btc);
    expect(digestOfCid(b58)).toEqual(mh.digest);
  });

  it('refuses other codecs, hashes, digest lengths and garbage', async () => {
    expect(() => cidFromDigest(0x71, new Uint8Array(32))).toThrow(UsageError);
    expect(() => cidFromDigest(0x55, new Uint8Array(31))).toThrow(UsageError);
    expect(() => cidFromDigest(0x55, new Uint8Array(33))).toThrow(UsageError);
    expect(() => digestOfCid('not-a-cid')).toThrow(UsageError);
    expect(() => digestOfCid('')).toThrow(UsageError);
    const mh = await sha256.digest(new Uint8Array([1]));
    expect(() => digestOfCid(CID.createV1(0x71, mh).toString())).toThrow(UsageError); // dag-cbor
    // identity "hash" would carry content unverified
    const id = identity.digest(new Uint8Array(32));
    expect(() => digestOfCid(CID.createV1(0x55, id).toString())).toThrow(UsageError);
  });
});
