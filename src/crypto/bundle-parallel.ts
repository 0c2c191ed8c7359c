/**
 * Record bundles on the two-thread fast path (parallel.ts), file → file. Same bytes as the
 * streaming path; the content SHA-256 is the one sequential part, so the main thread does
 * it while the worker runs the AEAD:
 *
 * Encrypt: the bundle prefix (magic, length, metadata) is known before any content, so
 *   plaintext offset x = prefix + content offset, and chunk c sits at a fixed ciphertext
 *   offset. Main hashes the input file in order, signs, then joins the batches; chunks
 *   from ⌊(prefix + size) / 64 KiB⌋ on hold the trailer and are sealed last, by main.
 * Decrypt: main opens chunk 0 first (the prefix always lies in it, FORMAT.md § 3.2) to
 *   learn the prefix length; batches write content bytes at x − prefix into the
 *   temporary file; main hashes that file in batch order as batches complete (doing
 *   batches itself when it has caught up), then opens the tail chunks holding the
 *   trailer. The rename happens only after every chunk authenticated, the hash and size
 *   matched and the signature verified (FORMAT.md § 1.6).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseTrailer, TRAILER_SIZE } from './bundle-format.js';
import { checkTrailer, type DecryptBundleResult, parseBundlePrefix } from './bundle-verify.js';
import { toHex, wipe } from './bytes.js';
import { BATCH_CHUNKS, makeJob, openRead, readExact, runTwoThreads, streamChunks, withTemp, writeAll } from './parallel.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, openChunk, openFinalChunk, payloadError, sealChunk, TAG_SIZE } from './stream.js';

const HASH_READ = BATCH_CHUNKS * CHUNK_SIZE;

/** SHA-256 of the first `size` bytes of `fd`, read in order into one reused buffer. */
function hashFile(fd: number, size: number): Uint8Array {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(HASH_READ, Math.max(size, 1)));
  for (let pos = 0; pos < size; ) {
    const n = Math.min(buf.length, size - pos);
    readExact(fd, buf, n, pos);
    h.update(buf.subarray(0, n));
    pos += n;
  }
  return new Uint8Array(h.digest());
}

export interface EncryptBundleParallelOptions {
  inputPath: string;
  outputPath: string;
  /** Content size (the input file's size when it was checked). */
  size: number;
  /** age header + payload nonce: what precedes the STREAM in the output. */
  ageHead: Uint8Array;
  /** Bundle prefix: magic, metadata length, metadata. */
  prefix: Uint8Array;
  /** Payload key. */
  key: Uint8Array;
  /** Signs the content hash and returns the encoded trailer (called once, mid-way). */
  trailer(digest: Uint8Array, size: number): Promise<Uint8Array>;
}

/** Writes the bundle; returns the content SHA-256. */
export async function encryptBundleParallel(o: EncryptBundleParallelOptions): Promise<Uint8Array> {
  const P = o.prefix.length;
  const S = o.size;
  const T = P + S + TRAILER_SIZE;
  const lastChunk = Math.ceil(T / CHUNK_SIZE) - 1;
  // Chunks wholly before the trailer; they are never the final chunk (the trailer follows).
  const K = Math.floor((P + S) / CHUNK_SIZE);
  const inFd = openRead(o.inputPath);
  try {
    const before = fstatSync(inFd);
    if (before.size !== S)
      throw new UsageError('the input file changed while it was encrypted', { hint: 'do not modify a file while emr encrypts it' });
    return await withTemp(o.outputPath, async (outFd) => {
      writeAll(outFd, o.ageHead, 0);
      const job = makeJob({
        mode: 'enc',
        inFd,
        outFd,
        key: o.key,
        head: o.prefix,
        inOffset: 0,
        outOffset: o.ageHead.length,
        inSize: P + S,
        chunks: K,
        lastChunk,
      });
      let digest: Uint8Array = new Uint8Array(0);
      let trailer: Uint8Array = new Uint8Array(0);
      let signError: { e: unknown } | undefined;
      try {
        await runTwoThreads(job, async (run) => {
          digest = hashFile(inFd, S);
          // The worker keeps encrypting while the signer works.
          trailer = await o.trailer(digest, S).catch((e: unknown) => {
            signError = { e };
            throw e;
          });
          run(Infinity);
        });
      } catch (e) {
        throw signError ? signError.e : e; // the signer's own error, not "file I/O failed"
      }
      // The tail: the last content bytes (and the prefix, for a small file), then the trailer.
      const from = K * CHUNK_SIZE;
      const tail = Buffer.alloc(T - from);
      let off = from < P ? Buffer.from(o.prefix).copy(tail, 0, from) : 0;
      const fileFrom = Math.max(0, from - P);
      readExact(inFd, tail.subarray(off), S - fileFrom, fileFrom);
      off += S - fileFrom;
      tail.set(trailer, off);
      for (let c = K; c <= lastChunk; c++) {
        const pt = tail.subarray((c - K) * CHUNK_SIZE, Math.min((c - K + 1) * CHUNK_SIZE, tail.length));
        writeAll(outFd, sealChunk(o.key, c, c === lastChunk, pt), o.ageHead.length + c * ENCRYPTED_CHUNK_SIZE);
      }
      wipe(tail);
      // The file is read twice (hash, then AEAD): refuse a file that changed meanwhile, whose
      // bundle would fail its hash check on decryption.
      const after = fstatSync(inFd);
      if (after.size !== S || after.mtimeMs !== before.mtimeMs) {
        throw new UsageError('the input file changed while it was encrypted', { hint: 'do not modify a file while emr encrypts it' });
      }
      return digest;
    });
  } finally {
    closeSync(inFd);
  }
}

export interface DecryptBundleParallelOptions {
  inputPath: string;
  outputPath: string;
  /** Start of the STREAM payload (after header and nonce). */
  offset: number;
  /** Input file size. */
  size: number;
  key: Uint8Array;
  /** Last check before the output is renamed into place (bundle.ts DecryptBundleOptions.accept). */
  accept?: (r: DecryptBundleResult) => void | Promise<void>;
}

export async function decryptBundleParallel(o: DecryptBundleParallelOptions): Promise<DecryptBundleResult> {
  const payload = o.size - o.offset;
  const N = streamChunks(payload);
  const T = payload - N * TAG_SIZE;
  const inFd = openRead(o.inputPath);
  try {
    const readChunk = (c: number): Buffer => {
      const len = Math.min(ENCRYPTED_CHUNK_SIZE, payload - c * ENCRYPTED_CHUNK_SIZE);
      const ct = Buffer.allocUnsafe(len);
      readExact(inFd, ct, len, o.offset + c * ENCRYPTED_CHUNK_SIZE);
      return ct;
    };
    const open = (c: number): Buffer => {
      if (c === N - 1) return openFinalChunk(o.key, c, readChunk(c));
      const pt = openChunk(o.key, c, false, readChunk(c));
      if (!pt) throw payloadError('chunk failed to authenticate');
      return pt;
    };
    const first = open(0);
    const prefix = parseBundlePrefix(first);
    wipe(first);
    // Too short for a trailer: parseTrailer throws the streaming reader's error.
    if (prefix && T - prefix.length < TRAILER_SIZE) parseTrailer(new Uint8Array(T - prefix.length));
    const keepFrom = prefix ? prefix.length : 0;
    const keepTo = prefix ? T - TRAILER_SIZE : T;
    // Bundles: chunks from K on hold the trailer and are opened here at the end.
    const K = prefix ? Math.floor(keepTo / CHUNK_SIZE) : N;
    return await withTemp(o.outputPath, async (outFd) => {
      const job = makeJob({
        mode: 'dec',
        inFd,
        outFd,
        key: o.key,
        inOffset: o.offset,
        outOffset: 0,
        inSize: payload,
        chunks: K,
        lastChunk: N - 1,
        keepFrom,
        keepTo,
      });
      const hash = createHash('sha256');
      const batches = Math.ceil(K / BATCH_CHUNKS);
      const verdict = await runTwoThreads(job, (run) => {
        const buf = Buffer.allocUnsafe(HASH_READ);
        for (let hashed = 0; hashed < batches; ) {
          if (Atomics.load(job.state, 1) !== 0) return;
          if (Atomics.load(job.done, hashed) === 1) {
            // This batch's content, in output coordinates, read back from the page cache.
            const x0 = Math.max(hashed * HASH_READ, keepFrom);
            const x1 = Math.min(Math.min((hashed + 1) * BATCH_CHUNKS, K) * CHUNK_SIZE, keepTo);
            if (x1 > x0) {
              readExact(outFd, buf, x1 - x0, x0 - keepFrom);
              hash.update(buf.subarray(0, x1 - x0));
            }
            hashed++;
            continue;
          }
          if (run(1) === 1) continue;
          Atomics.wait(job.done, hashed, 0, 50); // the worker has it; woken by its notify
        }
        wipe(buf);
      });
      if (verdict === 1) throw payloadError('chunk failed to authenticate');
      if (!prefix) {
        const plain: DecryptBundleResult = { signed: false, sha256: toHex(new Uint8Array(hash.digest())), size: T };
        await o.accept?.(plain);
        return plain;
      }
      const from = K * CHUNK_SIZE;
      const tail = Buffer.alloc(T - from);
      for (let c = K; c < N; c++) {
        const pt = open(c);
        pt.copy(tail, (c - K) * CHUNK_SIZE);
        wipe(pt);
      }
      const content = tail.subarray(Math.max(keepFrom - from, 0), keepTo - from);
      writeAll(outFd, content, Math.max(from, keepFrom) - keepFrom);
      hash.update(content);
      const trailer = Buffer.from(tail.subarray(keepTo - from));
      wipe(tail);
      const res = await checkTrailer(prefix.metadata, trailer, new Uint8Array(hash.digest()), keepTo - keepFrom);
      await o.accept?.(res);
      return res;
    });
  } finally {
    closeSync(inFd);
  }
}
