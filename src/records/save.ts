/** Writes a stream to a file atomically (temp beside the target, renamed at the end). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileSink } from '../crypto/io.js';

/** The same atomic, write-behind file sink as decryption (crypto/io.ts; FORMAT.md § 1.6). */
export async function saveStream(source: AsyncIterable<Uint8Array>, target: string): Promise<string> {
  const hash = createHash('sha256');
  const sink = await fileSink(target);
  try {
    for await (const chunk of source) {
      hash.update(chunk);
      await sink.write(chunk);
    }
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  }
  return hash.digest('hex');
}

/**
 * Runs `body` with a path inside a fresh 0700 directory of the OS temp dir, removed
 * afterwards whatever happens. Used to hold verified-before-release output for stdout.
 */
export async function withPrivateTemp<T>(body: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'emr-'));
  try {
    return await body(join(dir, 'out'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Copies a file to a stream without ending it (stdout stays open for the process). */
export async function copyToStream(path: string, out: NodeJS.WritableStream): Promise<void> {
  await pipeline(createReadStream(path), out, { end: false });
}
