/**
 * Worker thread of the batch encryption pool (encrypt-pool.ts): sign-then-encrypt one
 * small record in memory (FORMAT.md § 3–5, the same `encryptBundle` as `record add`) and
 * hand the ciphertext back. It stores nothing, journals nothing and talks to no chain:
 * the main thread keeps every step that the journal (MANIFEST.md § 6) orders.
 */

import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { Wallet } from 'ethers/wallet';
import { encryptBundle, type RecordMeta } from '../crypto/bundle.js';
import type { SigningDomain } from '../crypto/bundle-signature.js';
import { fastTypedDataSigner } from '../crypto/typed-data-signer.js';
import { toEmrError } from '../errors.js';

export interface EncryptJob {
  id: number;
  plaintext: Uint8Array;
  recipients: string[];
  meta: RecordMeta;
  domain: SigningDomain;
}

export type EncryptReply =
  | { id: number; ok: true; ciphertext: Uint8Array; sha256: string; size: number }
  | { id: number; ok: false; code: string; message: string; hint: string };

const key = workerData as { privateKey: Uint8Array };
const signer = fastTypedDataSigner(new Wallet('0x' + Buffer.from(key.privateKey).toString('hex')));
key.privateKey.fill(0);

parentPort!.on('message', (job: EncryptJob) => {
  void run(job).then((reply) => {
    parentPort!.postMessage(reply, reply.ok ? [reply.ciphertext.buffer as ArrayBuffer] : []);
  });
});

async function run(job: EncryptJob): Promise<EncryptReply> {
  const parts: Buffer[] = [];
  try {
    const res = await encryptBundle({
      input: (async function* () {
        yield job.plaintext;
      })(),
      output: new Writable({
        write(chunk: Buffer, _enc, cb) {
          parts.push(chunk);
          cb();
        },
      }),
      recipients: job.recipients,
      meta: job.meta,
      signer,
      domain: job.domain,
    });
    // A fresh buffer of its own, so it can be transferred without copying.
    const ciphertext = new Uint8Array(Buffer.concat(parts));
    return { id: job.id, ok: true, ciphertext, sha256: res.sha256, size: res.size };
  } catch (e) {
    const err = toEmrError(e);
    return { id: job.id, ok: false, code: err.code, message: err.message, hint: err.hint ?? '' };
  } finally {
    job.plaintext.fill(0);
  }
}
