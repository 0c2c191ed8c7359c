/**
 * A CAR file (docs/STORAGE.md § CAR) of one random file, made with the importer and CAR
 * writer `emr` itself uses, for tests that import a backup into a store (a real daemon, a
 * dying one, a hostile one).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { CID } from 'multiformats/cid';
import { type Block, carBytes } from '../../src/ipfs/car.js';
import { importFile } from '../../src/ipfs/import-file.js';

/** Writes a CAR of `size` random bytes (a dag-pb root over raw leaves) to `path`; its root CID and blocks. */
export async function writeRandomCar(path: string, size: number): Promise<{ cid: string; blocks: Block[] }> {
  const blocks: Block[] = [];
  const added = await importFile(
    (async function* () {
      yield randomBytes(size);
    })(),
    {
      put: async (cid, bytes) => (blocks.push({ cid, bytes }), cid),
    },
  );
  const parts: Uint8Array[] = [];
  for await (const p of carBytes(
    [CID.parse(added.cid)],
    (async function* () {
      yield* blocks;
    })(),
  ))
    parts.push(p);
  writeFileSync(path, Buffer.concat(parts));
  return { cid: added.cid, blocks };
}
