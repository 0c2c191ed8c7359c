/**
 * The `store import` flow (docs/STORAGE.md § "CAR files"): read, verify, store, then pin;
 * all or nothing (§ CAR files, "All or nothing").
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { CID } from 'multiformats/cid';
import { IntegrityError, UnavailableError, UsageError } from '../errors.js';
import { failpoint } from '../failpoint.js';
import { readCar } from '../ipfs/car.js';
import { MAX_GATEWAY_BLOCK_BYTES } from '../ipfs/gateway.js';
import type { RecordStore } from '../ipfs/store.js';

export interface ImportedCar {
  roots: string[];
  blocks: number;
  bytes: number;
  pinned: string[];
  /** Roots whose DAG the CAR (plus the store) does not complete: left unpinned, their new blocks removed. */
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
  const run = () => importAll(store, put, file);
  return store.writing ? store.writing(run) : run();
}

async function importAll(store: RecordStore, put: NonNullable<RecordStore['putBlock']>, file: string): Promise<ImportedCar> {
  const pinsBefore = new Set(await pinsOf(store));
  /** Blocks this import wrote that were not here before: what an undo removes. */
  const added: CID[] = [];
  const pinned: string[] = [];
  try {
    const res = await readCar(
      () => createReadStream(file),
      async (b) => {
        if (store.hasBlock && !(await store.hasBlock(b.cid))) added.push(b.cid);
        await put(b.cid, b.bytes);
      },
      { maxBlockBytes: MAX_GATEWAY_BLOCK_BYTES, budget: true },
    );
    failpoint('store-import.before-pin');
    // Pinning walks and verifies each root's whole DAG: only complete records are kept.
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
    // The blocks of incomplete roots would be garbage: removed now (a pin keeps shared ones).
    if (incomplete.length > 0) await store.discardBlocks?.(added);
    return { ...res, pinned, incomplete };
  } catch (e) {
    // All or nothing: the pins this import made, then the blocks it added.
    for (const root of pinned) if (!pinsBefore.has(root)) await store.unpin(root).catch(() => undefined);
    await store.discardBlocks?.(added).catch(() => undefined);
    throw e;
  }
}

async function pinsOf(store: RecordStore): Promise<string[]> {
  const s = store as RecordStore & { pins?: () => Promise<string[]> };
  return s.pins ? s.pins() : [];
}
