/**
 * Local files sealed to the acting profile: the metadata cache (docs/FHIR.md § 6), the
 * patient index (FHIR.md § 3.3) and the sign-only delivery log (SHARING.md § 2). Each is an
 * age file (FORMAT.md § 1) encrypted to the profile's own recipient, written atomically with mode 0600, read
 * whole and bounded: what a file holds is health information, and a file another process
 * could have replaced is input like any other.
 */
import { readFileSync, statSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { decryptFile, encryptFile } from '../crypto/age-file.js';
import { writeFileAtomic } from '../fs-atomic.js';

/** age's header and per-chunk tags on top of the plaintext, generously (FORMAT.md § 1). */
const overhead = (plain: number) => 64 * 1024 + Math.ceil(plain / 65536 + 1) * 16;

/** Seals `plaintext` to `recipient` and writes it to `path` (atomic, 0600, replacing). */
export async function writeSealedFile(path: string, recipient: string, plaintext: Uint8Array): Promise<void> {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (c: Buffer) => parts.push(c));
  await encryptFile({ recipients: [recipient], input: Readable.from([plaintext]), output: sink });
  sink.end();
  writeFileAtomic(path, Buffer.concat(parts), { mode: 0o600, overwrite: true });
}

/**
 * The plaintext of the sealed file at `path`, opened with `identity`. Throws when the file
 * is missing, larger than `maxBytes` of plaintext could make it, not age, not sealed to this
 * identity, damaged, or opens to more than `maxBytes`. The caller wipes the result.
 */
export async function readSealedFile(path: string, identity: string, maxBytes: number): Promise<Buffer> {
  if (statSync(path).size > maxBytes + overhead(maxBytes)) throw new RangeError(`${path} is larger than its bound`);
  const ct = readFileSync(path);
  const parts: Buffer[] = [];
  let n = 0;
  const sink = new PassThrough();
  const drained = new Promise<void>((resolve, reject) => {
    sink.on('data', (c: Buffer) => {
      n += c.length;
      if (n > maxBytes) sink.destroy(new RangeError(`${path} opens to more than its bound`));
      else parts.push(c);
    });
    sink.on('end', resolve);
    sink.on('error', reject);
  });
  // Handled here too: when decryptFile fails first, the catch below never awaits it.
  drained.catch(() => {});
  try {
    await decryptFile({ identities: [identity], input: Readable.from([ct]), output: sink });
    sink.end();
    await drained;
  } catch (e) {
    for (const p of parts) p.fill(0);
    throw e;
  }
  const out = Buffer.concat(parts);
  for (const p of parts) p.fill(0);
  return out;
}
