/**
 * X25519 through node:crypto (OpenSSL): ~40x faster than pure JS here
 * (docs/FORMAT.md). Raw keys are wrapped in fixed DER prefixes.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { BoundedMemo } from '../bounded-memo.js';
import { IntegrityError } from '../errors.js';
import { asX25519PublicKey, type X25519PublicKey, type X25519SecretKey } from './keys.js';

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

/**
 * Public keys already imported, by their bytes: a batch wraps for the same author and
 * patients thousands of times (~20 µs an import here; issue 26 § 2). Public, so keeping
 * them is harmless; bounded: emptied when full.
 */
const imported = new BoundedMemo<string, KeyObject>(1024);

// A public key goes in as JWK: ~10 µs against ~75 µs for the DER parse (measured here).
function publicKeyObject(pub: X25519PublicKey): KeyObject {
  const x = Buffer.from(pub).toString('base64url');
  return imported.get(x) ?? imported.set(x, createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' }));
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

/**
 * X25519 with one secret against many peers: the private key is imported once (the
 * PKCS#8 parse is the dominant cost, ~0.4 ms), so each further stanza costs only the
 * public-key import and the agreement (FORMAT.md § 1.3: cheap per stanza).
 */
export function x25519Agreer(secret: X25519SecretKey): (peer: X25519PublicKey) => Uint8Array {
  const privateKey = privateKeyObject(secret);
  return (peer) => {
    try {
      return new Uint8Array(diffieHellman({ privateKey, publicKey: publicKeyObject(peer) }));
    } catch (e) {
      throw new IntegrityError('invalid X25519 share in the age header', {
        hint: 'the file header is malformed or was tampered with',
        cause: e,
      });
    }
  };
}

/**
 * An ephemeral key pair for one recipient stanza (age.md § X25519 recipient type), made by
 * OpenSSL directly: importing a fresh random scalar through PKCS#8 DER cost ~0.4 ms per
 * stanza here, an OpenSSL keygen ~30 µs. The secret never leaves the KeyObject.
 */
export function ephemeralX25519(): { share: X25519PublicKey; agree(peer: X25519PublicKey): Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const x = publicKey.export({ format: 'jwk' }).x as string;
  return {
    share: asX25519PublicKey(new Uint8Array(Buffer.from(x, 'base64url'))),
    agree(peer) {
      try {
        return new Uint8Array(diffieHellman({ privateKey, publicKey: publicKeyObject(peer) }));
      } catch (e) {
        throw new IntegrityError('invalid X25519 recipient', { hint: 'the recipient is a low-order point', cause: e });
      }
    },
  };
}
