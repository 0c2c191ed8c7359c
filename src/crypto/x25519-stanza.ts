/**
 * The X25519 recipient stanza (age.md § "X25519 recipient type"):
 *   -> X25519 base64(ephemeral share)
 *   base64(ChaCha20-Poly1305(wrap key, zero nonce, file key))
 * wrap key = HKDF-SHA256(ikm = X25519(eph, recipient), salt = share ‖ recipient,
 *                        info = "age-encryption.org/v1/X25519").
 */
import { IntegrityError } from '../errors.js';
import { hkdf, open, seal } from './aead.js';
import { concatBytes, decodeBase64Canonical, encodeBase64NoPad, wipe } from './bytes.js';
import { asFileKey, asX25519PublicKey, type FileKey, type X25519PublicKey, type X25519SecretKey } from './keys.js';
import { STANZA_BODY_SIZE, type Stanza } from './stanza.js';
import { ephemeralX25519, x25519 } from './x25519.js';

const LABEL = 'age-encryption.org/v1/X25519';
const ZERO_NONCE = new Uint8Array(12);
export const X25519_STANZA_TYPE = 'X25519';

export function wrapX25519(fileKey: FileKey, recipient: X25519PublicKey): Stanza {
  const eph = ephemeralX25519();
  const share = eph.share;
  const shared = eph.agree(recipient);
  const wrapKey = hkdf(shared, concatBytes(share, recipient), LABEL, 32);
  const body = seal(wrapKey, ZERO_NONCE, fileKey);
  wipe(shared, wrapKey);
  return { args: [X25519_STANZA_TYPE, encodeBase64NoPad(share)], body };
}

function malformed(): IntegrityError {
  return new IntegrityError('malformed X25519 stanza in the age header', {
    hint: 'the file header is malformed or was tampered with',
  });
}

/**
 * Returns the file key, or null when the stanza is for someone else. A malformed X25519
 * stanza (wrong argument count, non-canonical or wrong-length share, wrong body size,
 * low-order share) is an error per age.md.
 */
export function unwrapX25519(
  s: Stanza,
  secret: X25519SecretKey,
  ourPublic: X25519PublicKey,
  agree: (peer: X25519PublicKey) => Uint8Array = (peer) => x25519(secret, peer),
): FileKey | null {
  if (s.args[0] !== X25519_STANZA_TYPE) return null;
  if (s.args.length !== 2) throw malformed();
  const shareBytes = decodeBase64Canonical(s.args[1]!);
  if (shareBytes?.length !== 32 || s.body.length !== STANZA_BODY_SIZE) throw malformed();
  const share = asX25519PublicKey(shareBytes);
  const shared = agree(share);
  const wrapKey = hkdf(shared, concatBytes(share, ourPublic), LABEL, 32);
  const fileKey = open(wrapKey, ZERO_NONCE, s.body);
  wipe(shared, wrapKey);
  return fileKey ? asFileKey(fileKey) : null;
}
