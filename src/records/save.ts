/** Writes a stream to a file atomically (temp beside the target, renamed at the end). */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { removeStaleTemps, tempPathBeside, tempPatternBeside } from '../fs-atomic.js';

export async function saveStream(source: AsyncIterable<Uint8Array>, target: string): Promise<string> {
  // FORMAT.md § 1.6: an earlier run killed mid-write left its 0600 temporary file here.
  removeStaleTemps(dirname(target), tempPatternBeside(target));
  const tmp = tempPathBeside(target);
  const hash = createHash('sha256');
  try {
    await pipeline(
      Readable.from(source),
      new Transform({
        transform(chunk: Buffer, _e, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
      createWriteStream(tmp, { mode: 0o600, flags: 'wx' }),
    );
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
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
