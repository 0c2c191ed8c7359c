/**
 * Worker threads that sign and encrypt small batch records (encrypt-worker.ts), so the
 * main thread's store writes, journal and chain calls run beside the encryption instead
 * of after it. On a 1,000 × 10 KB job, encryption (X25519 wraps, the EIP-712 signature,
 * STREAM) was about half of the main thread's time; it pays only with cores to spare.
 *
 * The account secret is copied once into each worker (zeroed there after the wallet is
 * made) and lives no longer than the pool: `close()` terminates the workers. A worker
 * that dies fails its records with INTERNAL, which stops the job (resumable).
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RecordMeta } from '../crypto/bundle.js';
import type { SigningDomain } from '../crypto/bundle-signature.js';
import { type EmrError, errorOfCode, InternalError } from '../errors.js';
import { encryptWorkerUrl } from '../spawn-targets.js';
import type { EncryptJob, EncryptReply } from './encrypt-worker.js';

export interface EncryptedRecord {
  ciphertext: Uint8Array;
  sha256: string;
  size: number;
}

export interface EncryptRequest {
  plaintext: Uint8Array;
  recipients: string[];
  meta: RecordMeta;
  domain: SigningDomain;
}

/**
 * Workers for `cores`: none on 2 cores or fewer, where the main thread, the threadpool's
 * file writes and a local devnet already fill both (measured: no gain, +45 MiB RSS per
 * worker); else one core for the main thread, one for the rest, the others encrypt.
 */
export function defaultPoolSize(cores = availableParallelism()): number {
  return Math.max(0, Math.min(4, cores - 2));
}

function rebuild(r: Extract<EncryptReply, { ok: false }>): EmrError {
  return errorOfCode(r.code, r.message, { hint: r.hint });
}

export class EncryptPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve(r: EncryptedRecord): void; reject(e: EmrError): void; worker: Worker }>();
  private readonly load = new Map<Worker, number>();
  private nextId = 0;
  private closed = false;

  constructor(privateKey: Uint8Array, size: number) {
    for (let i = 0; i < size; i++) {
      // workerData is copied (structured clone); the worker zeroes its copy.
      const w = new Worker(encryptWorkerUrl(), { workerData: { privateKey: Uint8Array.from(privateKey) } });
      w.on('message', (r: EncryptReply) => this.settle(w, r));
      w.on('error', (e) => this.fail(w, e));
      w.on('exit', (code) => this.fail(w, new Error(`exited with code ${code}`)));
      // Idle workers must not keep the process alive.
      w.unref();
      this.workers.push(w);
      this.load.set(w, 0);
    }
  }

  /** Signs and encrypts one record; the plaintext is transferred to the worker (and zeroed there). */
  encrypt(req: EncryptRequest): Promise<EncryptedRecord> {
    if (this.closed || this.workers.length === 0) {
      return Promise.reject(new InternalError('the encryption pool is closed', { hint: 'this is a bug in emr; please report it' }));
    }
    const w = this.workers.reduce((a, b) => (this.load.get(b)! < this.load.get(a)! ? b : a));
    const id = this.nextId++;
    const plaintext = Uint8Array.from(req.plaintext);
    const job: EncryptJob = { id, plaintext, recipients: req.recipients, meta: req.meta, domain: req.domain };
    return new Promise<EncryptedRecord>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      this.load.set(w, this.load.get(w)! + 1);
      if (this.load.get(w) === 1) w.ref();
      w.postMessage(job, [plaintext.buffer as ArrayBuffer]);
    });
  }

  private done(w: Worker): void {
    const n = this.load.get(w)! - 1;
    this.load.set(w, n);
    if (n === 0) w.unref();
  }

  private settle(w: Worker, r: EncryptReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    this.done(w);
    if (r.ok) p.resolve({ ciphertext: r.ciphertext, sha256: r.sha256, size: r.size });
    else p.reject(rebuild(r));
  }

  private fail(w: Worker, cause: unknown): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    for (const [id, p] of this.pending) {
      if (p.worker !== w) continue;
      this.pending.delete(id);
      if (!this.closed) p.reject(new InternalError('an encryption worker failed', { hint: 'run again with --resume', cause }));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
