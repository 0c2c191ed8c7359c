// EIP-712 without ethers (src/crypto/eip712.ts, src/secp256k1.ts): the EIP's own example, then
// every type emr signs hashed and signed byte for byte as ethers does, and the signature
// encodings docs/FORMAT.md § 4.3 refuses.

import { keccak_256 } from '@noble/hashes/sha3.js';
import { getAddress, TypedDataEncoder, verifyTypedData, Wallet } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EIP712_TYPES as ACTION_TYPES } from '../../src/chain/signed-actions.js';
import { EIP712_TYPES, EIP712_TYPES_V2 } from '../../src/crypto/bundle-signature.js';
import { domainSeparator, encodeType, hashStruct, typedDataDigest } from '../../src/crypto/eip712.js';
import { keyTypedDataSigner } from '../../src/crypto/typed-data-signer.js';
import { recoverAddress, signDigest } from '../../src/secp256k1.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

// https://eips.ethereum.org/EIPS/eip-712 § Test cases (Example.js / Example.sol).
const mail = {
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
    ],
  },
  message: {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
    contents: 'Hello, Bob!',
  },
};

describe('EIP-712 with noble', () => {
  it("FORMAT.md § 4: EIP-712's own Mail example MUST hash to the EIP's values and its signature MUST recover Cow", () => {
    expect(encodeType(mail.types, 'Mail')).toBe('Mail(Person from,Person to,string contents)Person(string name,address wallet)');
    expect(hex(hashStruct(mail.types, 'Mail', mail.message))).toBe('0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e');
    expect(hex(domainSeparator(mail.domain))).toBe('0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f');
    const digest = typedDataDigest(mail.domain, mail.types, mail.message);
    expect(hex(digest)).toBe('0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2');
    // The EIP signs with keccak256("cow"): v = 28, r and s as published.
    const sig = signDigest(keccak_256(new TextEncoder().encode('cow')), digest);
    expect(hex(sig)).toBe(
      '0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d' +
        '07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562' +
        '1c',
    );
    expect(getAddress(hex(recoverAddress(digest, sig)!))).toBe(mail.message.from.wallet);
  });

  const addr = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hex(b)));
  const h32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex);
  const u = (bits: number) => fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n });
  const domain = fc.oneof(
    fc.constant({ name: 'emr', version: '1' }),
    fc.record({ name: fc.constant('emr'), version: fc.constant('1'), chainId: u(64), verifyingContract: addr }),
  );
  const record = (v2: boolean) =>
    fc.record({
      version: fc.integer({ min: 0, max: 65535 }),
      patient: addr,
      author: addr,
      recordType: fc.string({ maxLength: 20 }),
      title: fc.string({ unit: 'grapheme', maxLength: 40 }),
      fileName: fc.string({ maxLength: 20 }),
      mediaType: fc.string({ maxLength: 20 }),
      createdAt: u(64),
      size: u(64),
      contentHash: h32,
      ...(v2
        ? Object.fromEntries(EIP712_TYPES_V2.Record!.slice(10).map((f) => [f.name, fc.string({ unit: 'grapheme', maxLength: 30 })]))
        : {}),
    });

  it('the digest of a bundle record (version 1 and 2, online and offline domain) equals ethers TypedDataEncoder.hash', () => {
    fc.assert(
      fc.property(
        domain,
        fc.boolean(),
        fc.boolean().chain((v2) => record(v2).map((r) => ({ v2, r }))),
        (d, _x, { v2, r }) => {
          const types = v2 ? EIP712_TYPES_V2 : EIP712_TYPES;
          expect(hex(typedDataDigest(d, types, r))).toBe(TypedDataEncoder.hash(d, types, r));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('the digest of every relayed action type equals ethers TypedDataEncoder.hash', () => {
    const d = { name: 'EmrAccess', version: '1', chainId: 31337n, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
    const field: Record<string, fc.Arbitrary<unknown>> = { address: addr, bytes32: h32, uint32: u(32), uint40: u(40), uint256: u(256) };
    for (const [name, fields] of Object.entries(ACTION_TYPES)) {
      const arb = fc.record(Object.fromEntries(fields.map((f) => [f.name, field[f.type]!])));
      fc.assert(
        fc.property(arb, (m) => {
          const types = { [name]: fields };
          expect(hex(typedDataDigest(d, types, m))).toBe(TypedDataEncoder.hash(d, types, m));
        }),
        { numRuns: 15 },
      );
    }
  });

  it('arrays, bool, signed ints, bytes and bytesN are encoded as ethers encodes them', () => {
    const types = {
      Box: [
        { name: 'ok', type: 'bool' },
        { name: 'delta', type: 'int64' },
        { name: 'blob', type: 'bytes' },
        { name: 'tag', type: 'bytes4' },
        { name: 'ids', type: 'uint256[]' },
        { name: 'pair', type: 'Item[2]' },
      ],
      Item: [{ name: 'label', type: 'string' }],
    };
    const arb = fc.record({
      ok: fc.boolean(),
      delta: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      blob: fc.uint8Array({ maxLength: 70 }).map(hex),
      tag: fc.uint8Array({ minLength: 4, maxLength: 4 }).map(hex),
      ids: fc.array(u(256), { maxLength: 4 }),
      pair: fc.tuple(fc.record({ label: fc.string() }), fc.record({ label: fc.string() })),
    });
    const d = { name: 'x', chainId: 5 };
    fc.assert(
      fc.property(arb, (m) => {
        expect(hex(typedDataDigest(d, types, m))).toBe(TypedDataEncoder.hash(d, types, m));
      }),
      { numRuns: 40 },
    );
  });

  it('a value that is not its type is refused, never silently encoded', () => {
    const bad = [
      { version: 65536 },
      { size: -1n },
      { createdAt: 2n ** 64n },
      { contentHash: '0x1234' },
      { title: 7 },
      { patient: '0x5B38Da6a701c568545dCfcB03FcB875f56beddc4' }, // wrong mixed-case checksum
      { patient: 'bob' },
      { author: undefined },
    ];
    const ok = {
      version: 1,
      patient: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
      author: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
      recordType: 'lab',
      title: '',
      fileName: '',
      mediaType: '',
      createdAt: 1n,
      size: 1n,
      contentHash: '0x' + '00'.repeat(32),
    };
    expect(() => typedDataDigest({ name: 'emr' }, EIP712_TYPES, ok)).not.toThrow();
    for (const b of bad) expect(() => typedDataDigest({ name: 'emr' }, EIP712_TYPES, { ...ok, ...b })).toThrow(TypeError);
    expect(() => domainSeparator({ name: 'emr', extra: 1 } as never)).toThrow(TypeError);
  });

  it('keyTypedDataSigner gives the very bytes of ethers Wallet.signTypedData; ethers.verifyTypedData recovers the key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), domain, record(false), async (k, d, r) => {
        fc.pre(BigInt(hex(k)) > 0n && BigInt(hex(k)) < N);
        const wallet = new Wallet(hex(k));
        const signer = keyTypedDataSigner(k);
        expect(signer.address).toBe(wallet.address);
        const sig = await signer.signTypedData(d, EIP712_TYPES, r);
        expect(sig).toBe(await wallet.signTypedData(d, EIP712_TYPES, r));
        expect(verifyTypedData(d, EIP712_TYPES, r, sig)).toBe(wallet.address);
      }),
      { numRuns: 12 },
    );
  });

  it('FORMAT.md § 4.3: recovery MUST refuse every other encoding of a signature (high s, v ∉ {27, 28}, r or s out of range)', () => {
    const digest = keccak_256(new Uint8Array([1, 2, 3]));
    const key = keccak_256(new TextEncoder().encode('cow'));
    const sig = signDigest(key, digest);
    expect(getAddress(hex(recoverAddress(digest, sig)!))).toBe('0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826');
    const s = BigInt(hex(sig.subarray(32, 64)));
    const twin = Uint8Array.from(sig);
    twin.set(Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), 32);
    twin[64] = sig[64] === 27 ? 28 : 27;
    // The high-s twin is a valid ECDSA signature by the same key. ethers refuses only the twins
    // whose top bit of s is set; here every s > n/2 is refused, so there is one encoding.
    expect(recoverAddress(digest, twin)).toBeNull();
    for (const v of [0, 1, 29, 37]) expect(recoverAddress(digest, Uint8Array.from([...sig.subarray(0, 64), v]))).toBeNull();
    const zeroR = Uint8Array.from(sig);
    zeroR.fill(0, 0, 32);
    expect(recoverAddress(digest, zeroR)).toBeNull();
    const bigR = Uint8Array.from(sig);
    bigR.fill(0xff, 0, 32);
    expect(recoverAddress(digest, bigR)).toBeNull();
    expect(recoverAddress(digest, sig.subarray(0, 64))).toBeNull();
  });
});
