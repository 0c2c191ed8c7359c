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

export async function sealRequest(patientRecipient: string, body: { types: string[]; reason: string }): Promise<string> {
  const sink = new PassThrough();
  const done = collect(sink);
  const json = Buffer.from(JSON.stringify({ v: 1, types: body.types, reason: body.reason }));
  await encryptFile({ recipients: [patientRecipient], input: Readable.from([json]), output: sink });
  sink.end();
  return SEALED_PREFIX + (await done).toString('base64');
}

export const isSealed = (reason: string) => reason.startsWith(SEALED_PREFIX);

/** The sealed types and reason, or undefined when `identity` cannot open it or it is malformed (hostile input). */
export async function openSealedRequest(reason: string, identity: string): Promise<{ types: string[]; reason: string } | undefined> {
  if (!isSealed(reason) || reason.length > MAX_SEALED_LENGTH) return undefined;
  try {
    const sink = new PassThrough();
    const done = collect(sink);
    await decryptFile({
      identities: [identity],
      input: Readable.from([Buffer.from(reason.slice(SEALED_PREFIX.length), 'base64')]),
      output: sink,
    });
    sink.end();
    const obj = JSON.parse((await done).toString('utf8')) as { v?: unknown; types?: unknown; reason?: unknown };
    if (obj.v !== 1 || !Array.isArray(obj.types) || typeof obj.reason !== 'string') return undefined;
    const types = [...new Set(obj.types.filter((t): t is string => typeof t === 'string' && isRecordType(t)))].slice(0, 32);
    return { types, reason: obj.reason.slice(0, 1024) };
  } catch {
    return undefined;
  }
}
