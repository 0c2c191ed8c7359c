/**
 * The two-thread fast path for file → file (design-notes § "Streaming at native speed"):
 * the main thread and one worker each claim the next free batch of 16 chunks (1 MiB) from
 * a shared counter, read it by position, run the AEAD on its 64 KiB chunks and write
 * them at their fixed offsets. age's layout makes every offset computable up front:
 * chunk c sits at prefix + c × 65,552 in the ciphertext and at c × 65,536 in the plaintext.
 * Output goes to a 0600 temporary file beside the target, renamed only after every chunk
 * is done (and, when decrypting, authenticated); any failure deletes it.
 *
 * `runBatches` is shipped to the worker as source text (`eval: true`), so it must stay
 * self-contained: no imports, no outer references, only its parameters.
 */
import * as nodeCrypto from 'node:crypto';
import * as nodeFs from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { InternalError, UsageError } from '../errors.js';
import { openTempFile } from './io.js';
import { ENCRYPTED_CHUNK_SIZE, payloadError, TAG_SIZE } from './stream.js';

/** Below this a worker's start-up (~30 ms) costs more than it saves. */
export const PARALLEL_MIN_SIZE = 16 << 20;

export interface BatchJob {
  mode: 'enc' | 'dec';
  inFd: number;
  outFd: number;
  key: Uint8Array;
  /** Where the payload starts in the input / output. */
  inOffset: number;
  outOffset: number;
  /** Payload bytes in the input (plaintext size when encrypting, STREAM bytes when decrypting). */
  inSize: number;
  chunks: number;
  /** [0] next batch to claim, [1] 0 = fine, 1 = authentication failure, 2 = I/O error. */
  state: Int32Array;
}

export function runBatches(j: BatchJob, crypto: typeof nodeCrypto, fs: typeof nodeFs): void {
  const PER = 16;
  const enc = j.mode === 'enc';
  const inChunk = enc ? 65536 : 65552;
  const outChunk = enc ? 65552 : 65536;
  const batches = Math.ceil(j.chunks / PER);
  const inBuf = Buffer.allocUnsafe(PER * inChunk);
  const outBuf = Buffer.allocUnsafe(PER * outChunk);
  const nonce = Buffer.alloc(12);
  for (;;) {
    if (Atomics.load(j.state, 1) !== 0) return;
    const b = Atomics.add(j.state, 0, 1);
    if (b >= batches) return;
    const first = b * PER;
    const end = Math.min(first + PER, j.chunks);
    const inLen = Math.min(end * inChunk, j.inSize) - first * inChunk;
    let got = 0;
    while (got < inLen) {
      const n = fs.readSync(j.inFd, inBuf, got, inLen - got, j.inOffset + first * inChunk + got);
      if (n === 0) throw new Error('input shrank while reading');
      got += n;
    }
    let o = 0;
    for (let c = first; c < end; c++) {
      const s = (c - first) * inChunk;
      const e = Math.min(s + inChunk, inLen);
      nonce.writeUInt32BE(Math.floor(c / 4294967296), 3);
      nonce.writeUInt32BE(c >>> 0, 7);
      nonce[11] = c === j.chunks - 1 ? 1 : 0;
      if (enc) {
        const ci = crypto.createCipheriv('chacha20-poly1305', j.key, nonce, { authTagLength: 16 });
        o += ci.update(inBuf.subarray(s, e)).copy(outBuf, o);
        ci.final();
        o += ci.getAuthTag().copy(outBuf, o);
      } else {
        const de = crypto.createDecipheriv('chacha20-poly1305', j.key, nonce, { authTagLength: 16 });
        de.setAuthTag(inBuf.subarray(e - 16, e));
        o += de.update(inBuf.subarray(s, e - 16)).copy(outBuf, o);
        try {
          de.final();
        } catch {
          Atomics.store(j.state, 1, 1);
          return;
        }
      }
    }
    let put = 0;
    while (put < o) put += fs.writeSync(j.outFd, outBuf, put, o - put, j.outOffset + first * outChunk + put);
  }
}

// process.getBuiltinModule works whether the worker's eval code is treated as CommonJS or
// as ESM (workers inherit --input-type=module from the parent's execArgv).
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const runBatches = ${runBatches.toString()};
try {
  runBatches(workerData, process.getBuiltinModule('node:crypto'), process.getBuiltinModule('node:fs'));
  parentPort.postMessage(null);
} catch (e) {
  Atomics.store(workerData.state, 1, 2);
  parentPort.postMessage(String(e && e.message));
}`;

async function runTwoThreads(job: Omit<BatchJob, 'state'>): Promise<number> {
  const state = new Int32Array(new SharedArrayBuffer(8));
  const full: BatchJob = { ...job, state };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: full });
  const done = new Promise<string | null>((resolve) => {
    worker.once('message', (m: string | null) => resolve(m));
    worker.once('error', (e) => resolve(String(e.message)));
    worker.once('exit', () => resolve('worker exited early'));
  });
  let mainError: unknown;
  try {
    runBatches(full, nodeCrypto, nodeFs);
  } catch (e) {
    mainError = e;
    Atomics.store(state, 1, 2);
  }
  const workerError = await done;
  await worker.terminate();
  if (mainError !== undefined || workerError !== null) {
    if (Atomics.load(state, 1) === 1) return 1;
    throw new UsageError('file I/O failed during encryption/decryption', {
      hint: 'check the disk and the input file',
      cause: mainError ?? new InternalError(workerError ?? 'worker failed'),
    });
  }
  return Atomics.load(state, 1);
}

async function withTemp(outputPath: string, body: (fd: number) => Promise<void>): Promise<void> {
  const { fh, tmp } = await openTempFile(outputPath);
  try {
    await body(fh.fd);
    await fh.close();
    await rename(tmp, outputPath);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

function openRead(path: string): number {
  try {
    return nodeFs.openSync(path, 'r');
  } catch (e) {
    throw new UsageError(`cannot read ${path}`, { hint: 'check that the file exists and is readable', cause: e });
  }
}

export async function encryptFileParallel(o: {
  inputPath: string;
  outputPath: string;
  size: number;
  prefix: Uint8Array;
  key: Uint8Array;
}): Promise<void> {
  const inFd = openRead(o.inputPath);
  try {
    await withTemp(o.outputPath, async (outFd) => {
      nodeFs.writeSync(outFd, o.prefix, 0, o.prefix.length, 0);
      const chunks = o.size === 0 ? 1 : Math.ceil(o.size / 65536);
      await runTwoThreads({
        mode: 'enc', inFd, outFd, key: o.key, inOffset: 0, outOffset: o.prefix.length, inSize: o.size, chunks,
      });
    });
  } finally {
    nodeFs.closeSync(inFd);
  }
}

export async function decryptFileParallel(o: {
  inputPath: string;
  outputPath: string;
  /** Start of the STREAM payload (after header and nonce). */
  offset: number;
  size: number;
  key: Uint8Array;
}): Promise<void> {
  const payload = o.size - o.offset;
  const chunks = Math.ceil(payload / ENCRYPTED_CHUNK_SIZE);
  const lastLen = payload - (chunks - 1) * ENCRYPTED_CHUNK_SIZE;
  // Same rules as the streaming decryptor (age.md § "Payload").
  if (payload < TAG_SIZE || lastLen < TAG_SIZE) throw payloadError(payload === 0 ? 'is missing' : 'is truncated');
  if (lastLen === TAG_SIZE && chunks > 1) throw payloadError('ends with an empty final chunk');
  const inFd = openRead(o.inputPath);
  try {
    await withTemp(o.outputPath, async (outFd) => {
      const r = await runTwoThreads({
        mode: 'dec', inFd, outFd, key: o.key, inOffset: o.offset, outOffset: 0, inSize: payload, chunks,
      });
      if (r === 1) throw payloadError('chunk failed to authenticate');
    });
  } finally {
    nodeFs.closeSync(inFd);
  }
}
