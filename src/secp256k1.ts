/**
 * secp256k1 for Ethereum accounts with @noble/curves: the address of a key (docs/KEYSTORE.md
 * § 2), an EIP-712 digest signed as r ‖ s ‖ v with v ∈ {27, 28}, and the signer recovered from
 * one (docs/FORMAT.md § 4.3). Shared by src/keys (addresses) and src/crypto (signatures),
 * hence on the base floor. ethers is not loaded: it would bring its own copy of the curve.
 *
 * Start-up: noble builds a 6-bit window table for the base point G on the first
 * multiplication (about 60 ms of CPU here; issue 11's profile of `emr encrypt`). A command
 * makes one or two multiplications by G (one signature or one recovery; the address at
 * unlock comes from OpenSSL, see addressBytes), where the table costs far more than it saves. So the first FEW of a process run
 * without it (constant-time fixed-window multiplication all the same, as noble does for any
 * point without a table); a process that makes more (a batch signing thousands, `record list
 * --details` checking every record) gets the table from the next one on.
 */
import { createECDH } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** Multiplications by G made without the table; measured break-even here is 4 signatures. */
const FEW = 4;
let used = 0;
secp256k1.Point.BASE.precompute(1);

function multiplyingG(): void {
  if (++used === FEW + 1) secp256k1.Point.BASE.precompute(6);
}

const HALF_N = secp256k1.Point.Fn.ORDER >> 1n;

/** The 20-byte account address of an uncompressed public key (65 bytes, 0x04 ‖ x ‖ y). */
function addressOfPublic(pub: Uint8Array): Uint8Array {
  return keccak_256(pub.subarray(1)).subarray(12);
}

/**
 * The account address of a 32-byte private key, as 20 bytes. The public key comes from
 * OpenSSL (node:crypto ECDH on secp256k1: its scalar multiplication for a secret scalar is
 * a constant-time ladder), ~0.1 ms against ~100 ms for noble's first, table-less
 * multiplication: every command that unlocks a key pays this once (bench:list profile).
 * An invalid key (0, ≥ n, not 32 bytes) is refused by OpenSSL as noble refused it.
 */
export function addressBytes(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) throw new RangeError('a secp256k1 private key is 32 bytes');
  const ecdh = createECDH('secp256k1');
  ecdh.setPrivateKey(privateKey);
  return addressOfPublic(ecdh.getPublicKey(null, 'uncompressed'));
}

/**
 * Signs a 32-byte digest: RFC 6979 deterministic k and low s (noble's defaults), so the bytes
 * equal ethers' `SigningKey.sign(digest).serialized`: r ‖ s ‖ v, v ∈ {27, 28}.
 */
export function signDigest(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
  multiplyingG();
  const rec = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: 'recovered' });
  const out = new Uint8Array(65);
  out.set(rec.subarray(1), 0);
  out[64] = 27 + rec[0]!;
  return out;
}

/**
 * The 20-byte address that signed `digest`, or null when the signature is not exactly
 * r ‖ s ‖ v with 0 < r, s < n, s ≤ n/2 (no high-s twin: one signature, one encoding) and
 * v ∈ {27, 28}, or recovers no point.
 */
export function recoverAddress(digest: Uint8Array, signature: Uint8Array): Uint8Array | null {
  if (signature.length !== 65 || (signature[64] !== 27 && signature[64] !== 28)) return null;
  const r = BigInt(`0x${Buffer.from(signature.subarray(0, 32)).toString('hex')}`);
  const s = BigInt(`0x${Buffer.from(signature.subarray(32, 64)).toString('hex')}`);
  if (r === 0n || s === 0n || r >= secp256k1.Point.Fn.ORDER || s > HALF_N) return null;
  const rec = new Uint8Array(65);
  rec[0] = signature[64]! - 27;
  rec.set(signature.subarray(0, 64), 1);
  multiplyingG();
  try {
    return addressOfPublic(secp256k1.Signature.fromBytes(rec, 'recovered').recoverPublicKey(digest).toBytes(false));
  } catch {
    return null;
  }
}
