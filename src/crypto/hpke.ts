/**
 * The slice of HPKE (RFC 9180 § 5.1, mode_base, single-shot) that age's
 * `mlkem768x25519` stanza uses: KEM X-Wing (0x647a), KDF HKDF-SHA256 (0x0001),
 * AEAD ChaCha20-Poly1305 (0x0003). Mirrors age 1.3 and age-encryption 0.3.1.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8, wipe } from './bytes.js';

export const KEM_XWING = 0x647a;

function suiteId(kemId: number): Uint8Array {
  // RFC 9180 § 5.1: "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2)
  return concatBytes(utf8('HPKE'), new Uint8Array([kemId >> 8, kemId & 0xff, 0x00, 0x01, 0x00, 0x03]));
}

function labeledExtract(suite: Uint8Array, salt: Uint8Array | undefined, label: string, ikm: Uint8Array) {
  return extract(sha256, concatBytes(utf8('HPKE-v1'), suite, utf8(label), ikm), salt);
}

function labeledExpand(suite: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, len: number) {
  const info2 = concatBytes(new Uint8Array([len >> 8, len & 0xff]), utf8('HPKE-v1'), suite, utf8(label), info);
  return expand(sha256, prk, info2, len);
}

/** RFC 9180 § 5.1 KeySchedule(mode_base, shared_secret, info, "", ""). */
export function hpkeKeySchedule(kemId: number, sharedSecret: Uint8Array, info: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const suite = suiteId(kemId);
  const empty = new Uint8Array(0);
  const pskIdHash = labeledExtract(suite, undefined, 'psk_id_hash', empty);
  const infoHash = labeledExtract(suite, undefined, 'info_hash', info);
  const context = concatBytes(new Uint8Array([0x00]), pskIdHash, infoHash);
  const secret = labeledExtract(suite, sharedSecret, 'secret', empty);
  const key = labeledExpand(suite, secret, 'key', context, 32);
  const nonce = labeledExpand(suite, secret, 'base_nonce', context, 12);
  wipe(secret);
  return { key, nonce };
}
