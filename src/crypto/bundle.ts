/**
 * Sign-then-encrypt record bundles (docs/FORMAT.md § 3–5), streaming with one pass:
 * the content SHA-256 is computed as bytes flow, then signed and appended as a trailer.
 * Decryption holds back the trailer, verifies hash, size and signature, and only then
 * commits the output (renames the temporary file). File → file with a large input takes
 * the two-thread path (bundle-parallel.ts), which writes the same bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { type InternalEncryptOptions, openAge, parallelEligible, withSink } from './age-file.js';
import {
  BUNDLE_FORMAT_VERSION,
  BUNDLE_FORMAT_VERSION_2,
  BUNDLE_FORMAT_VERSION_3,
  BUNDLE_MAGIC,
  type BundleMetadata,
  checksumAddress,
  encodeMetadata,
  encodeTrailer,
  hasV2Fields,
  parseMetadata,
  TRAILER_SIZE,
  V2_FIELDS,
} from './bundle-format.js';
import { decryptBundleParallel, encryptBundleParallel } from './bundle-parallel.js';
import { bundleDomain, eip712Types, eip712Value, type SigningDomain, type TypedDataSigner } from './bundle-signature.js';
import { checkTrailer, type DecryptBundleResult, metadataLength, truncated } from './bundle-verify.js';
import { toHex, wipe } from './bytes.js';
import { encodeHeader } from './header.js';
import { type Input, type Output, openInput, type Sink } from './io.js';
import { generateFileKey } from './keys.js';
import { wrapForRecipients } from './recipients.js';
import { PAYLOAD_NONCE_SIZE, payloadKey } from './stream.js';
import { decryptPayload } from './stream-decryptor.js';
import { StreamEncryptor } from './stream-encryptor.js';

/**
 * What a caller says about a record: the bundle metadata (bundle-format.ts) minus what
 * encryptBundle fills in itself — the format version and the signing domain — with
 * `createdAt` (unix seconds) defaulting to now.
 */
export type RecordMeta = Omit<BundleMetadata, 'v' | 'createdAt' | 'chainId' | 'verifyingContract'> & { createdAt?: number };

export interface EncryptBundleOptions {
  input: Input;
  output: Output;
  recipients: string[];
  meta: RecordMeta;
  signer: TypedDataSigner;
  domain?: SigningDomain;
}

export interface EncryptBundleResult {
  sha256: string;
  size: number;
  metadata: BundleMetadata;
  signature: string;
}

function buildMetadata(meta: RecordMeta, signer: TypedDataSigner, domain?: SigningDomain): BundleMetadata {
  const author = checksumAddress(meta.author, 'author');
  if (checksumAddress(signer.address, 'signer') !== author) {
    throw new UsageError('the signer is not the record author', { hint: 'sign with the key of the author address' });
  }
  if (typeof meta.type !== 'string' || meta.type.length === 0) {
    throw new UsageError('record type is required', { hint: 'pass --type, e.g. lab-result' });
  }
  const createdAt = meta.createdAt ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(createdAt) || createdAt < 0) {
    throw new UsageError('createdAt must be unix seconds', { hint: 'pass a non-negative integer' });
  }
  const m: BundleMetadata = {
    v: BUNDLE_FORMAT_VERSION,
    patient: checksumAddress(meta.patient, 'patient'),
    author,
    type: meta.type,
    createdAt,
  };
  if (meta.title !== undefined) m.title = meta.title;
  if (meta.fileName !== undefined) m.fileName = meta.fileName;
  if (meta.mediaType !== undefined) m.mediaType = meta.mediaType;
  // § 3.4: clinical fields make it version 2; without them the bytes are version 1 as before.
  for (const k of V2_FIELDS) if (meta[k] !== undefined) (m as unknown as Record<string, unknown>)[k] = meta[k];
  if (hasV2Fields(m)) m.v = BUNDLE_FORMAT_VERSION_2;
  // § 3.5: naming an organisation makes it version 3.
  if (meta.org !== undefined) {
    m.org = meta.org;
    m.v = BUNDLE_FORMAT_VERSION_3;
  }
  if (domain?.chainId !== undefined) m.chainId = BigInt(domain.chainId).toString();
  if (domain?.verifyingContract !== undefined) m.verifyingContract = checksumAddress(domain.verifyingContract, 'verifyingContract');
  // Round-trips through the strict parser: whatever we write, we can read.
  return parseMetadataForWrite(m);
}

function parseMetadataForWrite(m: BundleMetadata): BundleMetadata {
  const bytes = encodeMetadata(m);
  try {
    return parseMetadata(bytes.subarray(BUNDLE_MAGIC.length + 4));
  } catch (e) {
    throw new UsageError('record metadata is invalid', { hint: 'check type, title and file name (≤ 4096 characters each)', cause: e });
  }
}

/** The signer's 0x-hex signature as bytes (encodeTrailer checks the length). */
function signatureBytes(sig: string): Uint8Array {
  if (typeof sig !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(sig)) {
    throw new UsageError('the signer returned a malformed signature', { hint: 'use an ECDSA secp256k1 signer (r ‖ s ‖ v)' });
  }
  return new Uint8Array(Buffer.from(sig.slice(2), 'hex'));
}

/** Test-only knobs: fixed file key and nonce, and the choice of path (as for encryptFile). */
export type InternalBundleOptions = InternalEncryptOptions;

export async function encryptBundle(o: EncryptBundleOptions, internal: InternalBundleOptions = {}): Promise<EncryptBundleResult> {
  const metadata = buildMetadata(o.meta, o.signer, o.domain);
  const prefix = encodeMetadata(metadata);
  const fileKey = internal.fileKey ?? generateFileKey();
  let signature = '';
  // Signs the content hash and returns the trailer (FORMAT.md § 3.3, § 4).
  const trailer = async (digest: Uint8Array, size: number): Promise<Uint8Array> => {
    signature = await o.signer.signTypedData(bundleDomain(metadata), eip712Types(metadata), eip712Value(metadata, BigInt(size), digest));
    return encodeTrailer({ sha256: digest, size: BigInt(size), signature: signatureBytes(signature) });
  };
  try {
    const header = encodeHeader(wrapForRecipients(fileKey, o.recipients), fileKey);
    const nonce = internal.nonce ?? new Uint8Array(randomBytes(PAYLOAD_NONCE_SIZE));
    const key = payloadKey(fileKey, nonce);
    const size = await parallelEligible(o.input, o.output, internal.path);
    if (size !== null) {
      try {
        const digest = await encryptBundleParallel({
          inputPath: o.input as string,
          outputPath: o.output as string,
          size,
          ageHead: Buffer.concat([header, nonce]),
          prefix,
          key,
          trailer,
        });
        return { sha256: toHex(digest), size, metadata, signature };
      } finally {
        wipe(key);
      }
    }
    return await withSink(o.output, async (sink) => {
      await sink.write(header);
      await sink.write(nonce);
      const enc = new StreamEncryptor(key, sink);
      await enc.push(prefix);
      const hash = createHash('sha256');
      let size = 0;
      const it = openInput(o.input);
      for (let r = await it.next(); !r.done; r = await it.next()) {
        hash.update(r.value);
        size += r.value.length;
        await enc.push(r.value);
      }
      const digest = new Uint8Array(hash.digest());
      await enc.push(await trailer(digest, size));
      await enc.finish();
      return { sha256: toHex(digest), size, metadata, signature };
    });
  } finally {
    if (!internal.fileKey) wipe(fileKey);
  }
}

export type { DecryptBundleResult };

export interface DecryptBundleOptions {
  input: Input;
  /** Where the content goes; null verifies without writing plaintext anywhere. */
  output: Output | null;
  identities: string[];
  fileKey?: Uint8Array;
  /**
   * The caller's own checks (e.g. that the signed patient is the one on chain), run after
   * the signature and every chunk verified but BEFORE a file output is renamed into
   * place: throwing drops the temporary file, so no plaintext of a rejected record
   * remains on disk (docs/FORMAT.md § 1.6).
   */
  accept?: (r: DecryptBundleResult) => void | Promise<void>;
}

const nullSink: Sink = { write: async () => undefined, commit: async () => undefined, abort: async () => undefined };

/** Splits the plaintext into bundle parts; a plaintext without the magic is passed through unsigned. */
async function consumeBundle(chunks: AsyncIterable<Buffer>, sink: Sink): Promise<DecryptBundleResult> {
  const hash = createHash('sha256');
  let size = 0;
  let pending: Buffer = Buffer.alloc(0);
  let stage = 'magic' as 'magic' | 'meta' | 'content' | 'plain';
  let metaLen = 0;
  let metadata: BundleMetadata | undefined;
  const emit = async (b: Buffer) => {
    if (b.length === 0) return;
    hash.update(b);
    size += b.length;
    await sink.write(b);
  };
  const step = async (final: boolean) => {
    if (stage === 'magic' && (pending.length >= BUNDLE_MAGIC.length + 4 || final)) {
      if (pending.length >= BUNDLE_MAGIC.length && pending.subarray(0, BUNDLE_MAGIC.length).equals(BUNDLE_MAGIC)) {
        if (pending.length < BUNDLE_MAGIC.length + 4) throw truncated();
        metaLen = metadataLength(pending);
        pending = pending.subarray(BUNDLE_MAGIC.length + 4);
        stage = 'meta';
      } else {
        stage = 'plain';
      }
    }
    if (stage === 'meta' && (pending.length >= metaLen || final)) {
      if (pending.length < metaLen) throw truncated('truncated metadata');
      metadata = parseMetadata(pending.subarray(0, metaLen));
      pending = pending.subarray(metaLen);
      stage = 'content';
    }
    if (stage === 'plain') {
      await emit(pending);
      pending = Buffer.alloc(0);
    } else if (stage === 'content' && pending.length > TRAILER_SIZE) {
      // Hold back the last TRAILER_SIZE bytes: they may be the trailer.
      await emit(pending.subarray(0, pending.length - TRAILER_SIZE));
      pending = Buffer.from(pending.subarray(pending.length - TRAILER_SIZE));
    }
  };
  for await (const c of chunks) {
    if (stage === 'content' && c.length >= TRAILER_SIZE) {
      // The held-back tail is not the trailer after all: emit it and all of c but c's own last
      // TRAILER_SIZE bytes, copying only those (not the whole chunk onto the tail).
      await emit(pending);
      await emit(c.subarray(0, c.length - TRAILER_SIZE));
      pending = Buffer.from(c.subarray(c.length - TRAILER_SIZE));
      continue;
    }
    pending = pending.length === 0 ? c : Buffer.concat([pending, c]);
    await step(false);
  }
  await step(true);
  const done = stage as typeof stage; // step() moved it on; TS cannot see through the closure
  const digest = new Uint8Array(hash.digest());
  if (done === 'plain') return { signed: false, sha256: toHex(digest), size };
  if (done !== 'content' || !metadata) throw truncated();
  return checkTrailer(metadata, pending, digest, size);
}

export async function decryptBundle(
  o: DecryptBundleOptions,
  internal: Pick<InternalBundleOptions, 'path'> = {},
): Promise<DecryptBundleResult> {
  const size = o.output === null ? null : await parallelEligible(o.input, o.output, internal.path);
  const opened = await openAge(o.input, o.identities, o.fileKey);
  try {
    if (size !== null) {
      const offset = opened.reader.consumed;
      await opened.reader.close();
      return await decryptBundleParallel({
        inputPath: o.input as string,
        outputPath: o.output as string,
        offset,
        size,
        key: opened.key,
        ...(o.accept ? { accept: o.accept } : {}),
      });
    }
    const run = async (sink: Sink) => {
      const res = await consumeBundle(decryptPayload(opened.reader, opened.key), sink);
      await o.accept?.(res);
      return res;
    };
    return o.output === null ? await run(nullSink) : await withSink(o.output, run);
  } finally {
    wipe(opened.key, opened.fileKey);
    await opened.reader.close();
  }
}

/** Checks the author's signature (and every chunk) without writing plaintext anywhere. */
export async function verifyBundle(o: Omit<DecryptBundleOptions, 'output'>): Promise<DecryptBundleResult> {
  return decryptBundle({ ...o, output: null });
}
