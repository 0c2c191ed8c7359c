/**
 * The post-quantum hybrid stanza of age 1.3 (C2SP age `mlkem768x25519` recipient):
 *   -> mlkem768x25519 base64(X-Wing encapsulation, 1120 bytes)
 *   base64(HPKE-seal(file key))   with HPKE info = "age-encryption.org/mlkem768x25519"
 * Interoperates with age-encryption 0.3.1 (tested both ways).
 */
import { IntegrityError } from '../errors.js';
import { open, seal } from './aead.js';
import { decodeBase64Canonical, encodeBase64NoPad, utf8, wipe } from './bytes.js';
import { hpkeKeySchedule, KEM_XWING } from './hpke.js';
import { asFileKey, type FileKey, type HybridPublicKey, type HybridSeed } from './keys.js';
import { STANZA_BODY_SIZE, type Stanza } from './stanza.js';
import { xwing } from './xwing.js';

export const MLKEM768X25519_STANZA_TYPE = 'mlkem768x25519';
const LABEL = utf8('age-encryption.org/mlkem768x25519');
const ENC_SIZE = 1120;

export function wrapMlkem768x25519(fileKey: FileKey, recipient: HybridPublicKey): Stanza {
  const { cipherText, sharedSecret } = xwing().encapsulate(recipient);
  const { key, nonce } = hpkeKeySchedule(KEM_XWING, sharedSecret, LABEL);
  const body = seal(key, nonce, fileKey);
  wipe(sharedSecret, key);
  return { args: [MLKEM768X25519_STANZA_TYPE, encodeBase64NoPad(cipherText)], body };
}

function malformed(): IntegrityError {
  return new IntegrityError('malformed mlkem768x25519 stanza in the age header', {
    hint: 'the file header is malformed or was tampered with',
  });
}

/** Returns the file key, or null when the stanza is for someone else. */
export function unwrapMlkem768x25519(s: Stanza, seed: HybridSeed): FileKey | null {
  if (s.args[0] !== MLKEM768X25519_STANZA_TYPE) return null;
  if (s.args.length !== 2) throw malformed();
  const enc = decodeBase64Canonical(s.args[1]!);
  if (!enc || enc.length !== ENC_SIZE || s.body.length !== STANZA_BODY_SIZE) throw malformed();
  let shared: Uint8Array;
  try {
    shared = xwing().decapsulate(enc, seed);
  } catch (e) {
    throw new IntegrityError('malformed mlkem768x25519 stanza in the age header', {
      hint: 'the file header is malformed or was tampered with',
      cause: e,
    });
  }
  const { key, nonce } = hpkeKeySchedule(KEM_XWING, shared, LABEL);
  const fileKey = open(key, nonce, s.body);
  wipe(shared, key);
  return fileKey ? asFileKey(fileKey) : null;
}
