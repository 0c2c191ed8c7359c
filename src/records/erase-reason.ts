/**
 * An erasure's reason, sealed to the patient (CONTRACT.md § Erasure): the reason may name
 * the very thing erased ("wrong diagnosis of …"), and the chain is public (§ Privacy), so
 * it goes on chain only as an age file to the patient's own recipient:
 *
 *   sealedReason = "emr-sealed-1:" ‖ base64(age file of {"v":1,"erase":"…"} padded with
 *                  spaces to PLAIN_BYTES)
 *
 * Always sealed, even an empty reason, and always the same plaintext length, so the
 * chain does not even tell whether a reason was given, or how long it is.
 */
import { UsageError } from '../errors.js';
import { openSealedText, SEALED_PREFIX, sealText } from './sealed-request.js';

/** Longest reason, in UTF-8 bytes. */
export const MAX_ERASE_REASON_BYTES = 400;
/** Every sealed plaintext has this length (JSON, padded with spaces). */
const PLAIN_BYTES = 512;
/** What is read back from chain (hostile): a PQ patient key makes ~2.7 KB. */
const MAX_SEALED_CHARS = 4096;

export function checkEraseReason(reason: string): void {
  const n = Buffer.byteLength(reason, 'utf8');
  if (n > MAX_ERASE_REASON_BYTES) {
    throw new UsageError(`the reason is ${n} bytes, at most ${MAX_ERASE_REASON_BYTES}`, { hint: 'give a shorter --reason' });
  }
}

export async function sealEraseReason(patientRecipient: string, reason: string): Promise<string> {
  checkEraseReason(reason);
  const json = JSON.stringify({ v: 1, erase: reason });
  // JSON.stringify escapes to ASCII-safe text only for control characters; its UTF-8 length
  // is at most 6× the reason's, bounded above PLAIN_BYTES only by reasons of odd characters.
  const body = Buffer.from(json, 'utf8');
  if (body.length > PLAIN_BYTES) throw new UsageError('the reason is too long once escaped', { hint: 'give a shorter --reason' });
  const plain = Buffer.alloc(PLAIN_BYTES, 0x20);
  body.copy(plain);
  return sealText(patientRecipient, plain);
}

/** The reason, or undefined when `identity` cannot open it or it is malformed (hostile chain text). */
export async function openEraseReason(sealed: string, identity: string): Promise<string | undefined> {
  if (!sealed.startsWith(SEALED_PREFIX) || sealed.length > MAX_SEALED_CHARS) return undefined;
  try {
    const obj = JSON.parse((await openSealedText(sealed, identity)).toString('utf8')) as { v?: unknown; erase?: unknown };
    if (obj.v !== 1 || typeof obj.erase !== 'string') return undefined;
    return obj.erase.slice(0, MAX_ERASE_REASON_BYTES);
  } catch {
    return undefined;
  }
}
