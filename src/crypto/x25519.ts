/**
 * X25519 through node:crypto (OpenSSL): ~40x faster than pure JS here
 * (design-notes § Encryption format). Raw keys are wrapped in fixed DER prefixes.
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { IntegrityError } from '../errors.js';
import { asX25519PublicKey, asX25519SecretKey, type X25519PublicKey, type X25519SecretKey } from './keys.js';

// RFC 8410 § 7 / § 4: PrivateKeyInfo and SubjectPublicKeyInfo for id-X25519 (1.3.101.110).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function privateKeyObject(secret: X25519SecretKey): KeyObject {
  const der = Buffer.concat([PKCS8_PREFIX, secret]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function publicKeyObject(pub: X25519PublicKey): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
}

export function x25519PublicKey(secret: X25519SecretKey): X25519PublicKey {
  const spki = createPublicKey(privateKeyObject(secret)).export({ format: 'der', type: 'spki' });
  return asX25519PublicKey(new Uint8Array(spki.subarray(SPKI_PREFIX.length)));
}

/**
 * X25519(secret, peer). OpenSSL refuses an all-zero result (a low-order peer point),
 * which age.md § "X25519 recipient type" says MUST be rejected.
 */
export function x25519(secret: X25519SecretKey, peer: X25519PublicKey): Uint8Array {
  try {
    return new Uint8Array(diffieHellman({ privateKey: privateKeyObject(secret), publicKey: publicKeyObject(peer) }));
  } catch (e) {
    throw new IntegrityError('invalid X25519 share in the age header', {
      hint: 'the file header is malformed or was tampered with',
      cause: e,
    });
  }
}

export function randomX25519SecretKey(): X25519SecretKey {
  return asX25519SecretKey(new Uint8Array(randomBytes(32)));
}
