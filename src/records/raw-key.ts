/**
 * The file key kept beside a `fetch --raw` copy (docs/FORMAT.md § 6): a reader who got a
 * record's key by delivery (docs/SHARING.md § 2) is not among the ciphertext's recipients,
 * so the copy alone would never open for them again. `fetch --raw` writes `<copy>.key`, a
 * small age file encrypted to the reader only:
 *
 *   {"v":1,"kind":"emr-raw-key","id":"12","cid":"bafy…","patient":"0x…","fileKey":"<base64, 16 bytes>"}
 *
 * The copy itself stays byte for byte the CID-verified ciphertext, so its author's
 * signature, its CID and `emr verify` all still check; `decrypt` and `verify` use the key
 * when the copy is not addressed to the reader. The key opens nothing but this ciphertext
 * (the age header MAC is checked with it first), as the delivery it came from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { decryptFile, encryptFile } from '../crypto/age-file.js';
import { NoMatchingIdentityError } from '../crypto/recipients.js';
import { AccessDeniedError, IntegrityError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';

/** FORMAT.md § 6: the key file's name is the copy's name plus `.key`. */
export const rawKeyPath = (copy: string): string => `${copy}.key`;

/** A key file is a few hundred bytes; anything larger is not one emr wrote. */
const MAX_KEY_FILE = 16 * 1024;

export interface RawKey {
  id: string;
  cid: string;
  patient: string;
  fileKey: Uint8Array;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Writes `<copy>.key` (0600, atomic; replaced only with force), encrypted to `recipient` only. */
export async function writeRawKey(copy: string, recipient: string, k: RawKey, force: boolean | undefined): Promise<string> {
  const json = Buffer.from(
    JSON.stringify({
      v: 1,
      kind: 'emr-raw-key',
      id: k.id,
      cid: k.cid,
      patient: k.patient,
      fileKey: Buffer.from(k.fileKey).toString('base64'),
    }),
  );
  const sink = new PassThrough();
  const done = collect(sink);
  try {
    await encryptFile({ recipients: [recipient], input: Readable.from([json]), output: sink });
  } finally {
    json.fill(0);
  }
  sink.end();
  const path = rawKeyPath(copy);
  writeFileAtomic(path, await done, { mode: 0o600, overwrite: !!force });
  return path;
}

/**
 * The file key kept beside `copy`, opened with `identities`; undefined when there is no key
 * file. A key file for someone else is ACCESS_DENIED (exit 3), a damaged one INTEGRITY.
 */
export async function readRawKey(copy: string, identities: string[]): Promise<Uint8Array | undefined> {
  const path = rawKeyPath(copy);
  if (copy === '-' || !existsSync(path)) return undefined;
  const ct = readFileSync(path);
  if (ct.length > MAX_KEY_FILE)
    throw new IntegrityError(`${path} is not an emr key file (too large)`, { hint: 'fetch the record again with `emr fetch <id> --raw`' });
  const sink = new PassThrough();
  const done = collect(sink);
  try {
    await decryptFile({ identities, input: Readable.from([ct]), output: sink });
  } catch (e) {
    if (e instanceof NoMatchingIdentityError)
      throw new AccessDeniedError(`${path} is not addressed to you`, {
        hint: 'only the reader who fetched the copy can open its key',
        cause: e,
      });
    throw e;
  }
  sink.end();
  const plain = await done;
  try {
    const o = JSON.parse(plain.toString('utf8')) as { v?: unknown; kind?: unknown; fileKey?: unknown };
    const key = typeof o.fileKey === 'string' ? Buffer.from(o.fileKey, 'base64') : Buffer.alloc(0);
    if (o.v !== 1 || o.kind !== 'emr-raw-key' || key.length !== 16) throw new Error('bad shape');
    const out = new Uint8Array(key);
    key.fill(0);
    return out;
  } catch (e) {
    throw new IntegrityError(`${path} is not an emr key file`, { hint: 'fetch the record again with `emr fetch <id> --raw`', cause: e });
  } finally {
    plain.fill(0);
  }
}
