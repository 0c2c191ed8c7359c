/**
 * age v1 files, streaming both ways with memory flat in the file size.
 *   encryptFile: header (age.md § "Header") + 16-byte nonce + STREAM payload.
 *   decryptFile: parse strictly, unwrap the file key (or take the caller's), verify the
 *                header MAC, then authenticate every chunk before the output appears.
 * File → file with a large input takes the two-thread path (parallel.ts).
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { wipe } from './bytes.js';
import { encodeHeader, type Header, readHeader, verifyHeaderMac } from './header.js';
import { ByteReader, type Input, type Output, openInput, openSink, type Sink } from './io.js';
import { asFileKey, type FileKey, generateFileKey } from './keys.js';
import { decryptFileParallel, encryptFileParallel, PARALLEL_MIN_SIZE } from './parallel.js';
import { unwrapFileKey, wrapForRecipients } from './recipients.js';
import { PAYLOAD_NONCE_SIZE, payloadError, payloadKey } from './stream.js';
import { decryptPayload } from './stream-decryptor.js';
import { StreamEncryptor } from './stream-encryptor.js';

export interface EncryptFileOptions {
  recipients: string[];
  input: Input;
  output: Output;
}

export interface DecryptFileOptions {
  identities: string[];
  input: Input;
  output: Output;
  /** Decrypt with a known file key instead of the identities; the header MAC is still checked. */
  fileKey?: Uint8Array;
}

/** Test-only knobs: fixed file key and nonce, and the choice of path. */
export interface InternalEncryptOptions {
  fileKey?: FileKey;
  nonce?: Uint8Array;
  path?: 'auto' | 'stream' | 'parallel';
}

/** Runs `body` against a sink; commits on success, deletes the partial output on failure. */
export async function withSink<T>(output: Output, body: (s: Sink) => Promise<T>): Promise<T> {
  const sink = await openSink(output);
  try {
    const r = await body(sink);
    await sink.commit();
    return r;
  } catch (e) {
    await sink.abort();
    throw e;
  }
}

/**
 * The input's size when the two-thread path applies: file → file, a regular input of at
 * least PARALLEL_MIN_SIZE bytes (any size when the test-only `path` is 'parallel').
 */
export async function parallelEligible(
  input: Input,
  output: Output | null,
  path: InternalEncryptOptions['path'] = 'auto',
): Promise<number | null> {
  if (path === 'stream') return null;
  if (typeof input !== 'string' || typeof output !== 'string') {
    if (path === 'parallel') throw new UsageError('parallel path needs file paths', { hint: 'test-only option' });
    return null;
  }
  const min = path === 'parallel' ? 0 : PARALLEL_MIN_SIZE;
  try {
    const st = await stat(input);
    return st.isFile() && st.size >= min ? st.size : null;
  } catch {
    return null;
  }
}

export async function encryptFile(opts: EncryptFileOptions, internal: InternalEncryptOptions = {}): Promise<void> {
  const fileKey = internal.fileKey ?? generateFileKey();
  const nonce = internal.nonce ?? new Uint8Array(randomBytes(PAYLOAD_NONCE_SIZE));
  try {
    const header = encodeHeader(wrapForRecipients(fileKey, opts.recipients), fileKey);
    const key = payloadKey(fileKey, nonce);
    const size = await parallelEligible(opts.input, opts.output, internal.path);
    if (size !== null) {
      await encryptFileParallel({
        inputPath: opts.input as string,
        outputPath: opts.output as string,
        size,
        prefix: Buffer.concat([header, nonce]),
        key,
      });
      return;
    }
    await withSink(opts.output, async (sink) => {
      await sink.write(header);
      await sink.write(nonce);
      const enc = new StreamEncryptor(key, sink);
      const it = openInput(opts.input);
      for (let r = await it.next(); !r.done; r = await it.next()) await enc.push(r.value);
      await enc.finish();
    });
  } finally {
    if (!internal.fileKey) wipe(fileKey);
  }
}

export interface OpenedAge {
  reader: ByteReader;
  header: Header;
  fileKey: FileKey;
  /** The payload key, derived from the file key and the payload nonce. */
  key: Uint8Array;
}

/** Parses the header, finds the file key, checks the MAC and reads the payload nonce. */
export async function openAge(input: Input, identities: readonly string[], fileKey?: Uint8Array): Promise<OpenedAge> {
  const reader = new ByteReader(openInput(input));
  try {
    const header = await readHeader(reader);
    let fk: FileKey;
    if (fileKey) {
      if (fileKey.length !== 16) throw new UsageError('a file key is 16 bytes', { hint: 'pass the key readFileKey returned' });
      fk = asFileKey(Uint8Array.from(fileKey));
    } else {
      fk = unwrapFileKey(header.stanzas, identities);
    }
    verifyHeaderMac(header, fk);
    if (!(await reader.fill(PAYLOAD_NONCE_SIZE))) throw payloadError('nonce is missing');
    const nonce = Buffer.from(reader.take(PAYLOAD_NONCE_SIZE));
    return { reader, header, fileKey: fk, key: payloadKey(fk, nonce) };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/** Unwraps the file key from the header (to hand a record's key to a new grantee). */
export async function readFileKey(input: Input, identities: string[]): Promise<Uint8Array> {
  const { reader, fileKey, key } = await openAge(input, identities);
  wipe(key);
  await reader.close();
  return fileKey;
}

export async function decryptFile(opts: DecryptFileOptions, internal: Pick<InternalEncryptOptions, 'path'> = {}): Promise<void> {
  const size = await parallelEligible(opts.input, opts.output, internal.path);
  const opened = await openAge(opts.input, opts.identities, opts.fileKey);
  try {
    if (size !== null) {
      const offset = opened.reader.consumed;
      await opened.reader.close();
      await decryptFileParallel({
        inputPath: opts.input as string,
        outputPath: opts.output as string,
        offset,
        size,
        key: opened.key,
      });
      return;
    }
    await withSink(opts.output, async (sink) => {
      for await (const pt of decryptPayload(opened.reader, opened.key)) await sink.write(pt);
    });
  } finally {
    wipe(opened.key, opened.fileKey);
    await opened.reader.close();
  }
}
