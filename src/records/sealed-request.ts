/**
 * Sealed access requests (docs/CONTRACT.md § Privacy). A provider holds no key to a
 * patient's type slots before a grant, and any public naming of the types would tell the
 * chain what it asks for; so the types and the reason travel sealed to the patient alone,
 * as an age file in the request's `reason`:
 *
 *   reason = "emr-sealed-1:" ‖ base64(age file to the patient's recipient of
 *            {"v":1,"types":["lab",…],"reason":"…"})
 *
 * and the request's mask on chain asks for every slot (the same for every request). The
 * patient opens it, and approves with the slots of the types it chooses (approveRequestAs).
 */
import { PassThrough, Readable } from 'node:stream';
import { decryptFile, encryptFile } from '../crypto/age-file.js';
import { isRecordType } from '../record-types.js';

export const SEALED_PREFIX = 'emr-sealed-1:';
/** The mask a sealed request carries: every slot. */
export const SEALED_MASK = 0xffffffff;
/** The contract's bound on a request's reason (MAX_REQUEST_REASON_LENGTH). */
export const MAX_SEALED_LENGTH = 4096;

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** `plain` age-encrypted to one recipient, as text the chain keeps: SEALED_PREFIX + base64 (also erase-reason.ts). */
export async function sealText(recipient: string, plain: Uint8Array): Promise<string> {
  const sink = new PassThrough();
  const done = collect(sink);
  await encryptFile({ recipients: [recipient], input: Readable.from([plain]), output: sink });
  sink.end();
  return SEALED_PREFIX + (await done).toString('base64');
}

/** The plaintext of text `sealText` made, opened with `identity`; throws when it does not open. The caller bounds the text first. */
export async function openSealedText(sealed: string, identity: string): Promise<Buffer> {
  const sink = new PassThrough();
  const done = collect(sink);
  await decryptFile({
    identities: [identity],
    input: Readable.from([Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64')]),
    output: sink,
  });
  sink.end();
  return done;
}

export async function sealRequest(patientRecipient: string, body: { types: string[]; reason: string }): Promise<string> {
  return sealText(patientRecipient, Buffer.from(JSON.stringify({ v: 1, types: body.types, reason: body.reason })));
}

export const isSealed = (reason: string) => reason.startsWith(SEALED_PREFIX);

/** The sealed types and reason, or undefined when `identity` cannot open it or it is malformed (hostile input). */
export async function openSealedRequest(reason: string, identity: string): Promise<{ types: string[]; reason: string } | undefined> {
  if (!isSealed(reason) || reason.length > MAX_SEALED_LENGTH) return undefined;
  try {
    const obj = JSON.parse((await openSealedText(reason, identity)).toString('utf8')) as { v?: unknown; types?: unknown; reason?: unknown };
    if (obj.v !== 1 || !Array.isArray(obj.types) || typeof obj.reason !== 'string') return undefined;
    const types = [...new Set(obj.types.filter((t): t is string => typeof t === 'string' && isRecordType(t)))].slice(0, 32);
    return { types, reason: obj.reason.slice(0, 1024) };
  } catch {
    return undefined;
  }
}
