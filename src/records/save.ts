/** Writes a stream to a file atomically (temp beside the target, renamed at the end). */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { tempPathBeside } from '../fs-atomic.js';

export async function saveStream(source: AsyncIterable<Uint8Array>, target: string): Promise<string> {
  const tmp = tempPathBeside(target);
  const hash = createHash('sha256');
  try {
    await pipeline(
      Readable.from(source),
      new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } }),
      createWriteStream(tmp, { mode: 0o600, flags: 'wx' }),
    );
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return hash.digest('hex');
}
