/** The `store import` flow (docs/STORAGE.md § "CAR files"): read, verify, store, then pin. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { IntegrityError, UnavailableError, UsageError } from '../errors.js';
import { readCar } from '../ipfs/car.js';
import { MAX_GATEWAY_BLOCK_BYTES } from '../ipfs/gateway.js';
import type { RecordStore } from '../ipfs/store.js';

export interface ImportedCar {
  roots: string[];
  blocks: number;
  bytes: number;
  pinned: string[];
  /** Roots whose DAG the CAR (plus the store) does not complete: left unpinned. */
  incomplete: string[];
}

export async function importCarFile(store: RecordStore, file: string): Promise<ImportedCar> {
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
  } catch (e) {
    throw new UsageError(`cannot read ${file}`, { hint: 'give the path of a CAR file', cause: e });
  }
  const put = store.putBlock?.bind(store);
  if (!put) throw new UnavailableError('this store cannot import blocks', { hint: 'use the embedded store or a Kubo node' });
  const res = await readCar(createReadStream(file), (b) => put(b.cid, b.bytes), { maxBlockBytes: MAX_GATEWAY_BLOCK_BYTES });
  // Pinning walks and verifies each root's whole DAG: only complete records are kept.
  const pinned: string[] = [];
  const incomplete: string[] = [];
  for (const root of res.roots) {
    try {
      await store.pin(root);
      pinned.push(root);
    } catch (e) {
      if (e instanceof IntegrityError || (e as { code?: string }).code === 'NOT_FOUND') incomplete.push(root);
      else throw e;
    }
  }
  return { ...res, pinned, incomplete };
}
