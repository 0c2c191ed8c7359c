// docs/STORAGE.md § Limits: what one read may cost, whatever the store holds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors.js';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/ipfs/embedded.js';
import { MAX_BLOCK_SIZE, MAX_FILE_SIZE } from '../../src/ipfs/settings.js';
import { putBomb, putHugeRoot, putRaw } from './dag-bomb.js';

let home: string;
let store: EmbeddedStore;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'emr-limits-'));
  store = await openEmbeddedStore({ dir: join(home, 'ipfs') });
});
afterEach(async () => {
  await store.close();
  await rm(home, { recursive: true, force: true });
});

async function drain(cid: string, maxSize?: bigint): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const c of store.cat(cid, maxSize === undefined ? {} : { maxSize })) bytes += c.length;
  } catch (error) {
    return { bytes, error };
  }
  return { bytes };
}

describe('STORAGE.md § Limits', () => {
  it('MUST refuse a block linked more than once (3-block bomb declaring 1 GiB), yielding at most one leaf', async () => {
    const { root, declared } = await putBomb(join(home, 'ipfs', 'blocks'), 1 << 16, 128, 128);
    expect(declared).toBe(1 << 30);
    const r = await drain(root.toString());
    expect(r.error).toBeInstanceOf(IntegrityError);
    expect(String((r.error as Error).message)).toMatch(/linked more than once/);
    expect(r.bytes).toBe(0); // refused before the first leaf
  });

  it('MUST refuse a declared size above the limit at the root, before fetching any child', async () => {
    const root = await putHugeRoot(join(home, 'ipfs', 'blocks'), 2, MAX_FILE_SIZE / 2n + 1n);
    const r = await drain(root.toString());
    expect((r.error as Error).message).toMatch(/over the \d+-byte limit/);
    // A caller's tighter bound wins.
    const r2 = await drain((await putHugeRoot(join(home, 'ipfs', 'blocks'), 1, 5000n)).toString(), 4096n);
    expect((r2.error as Error).message).toMatch(/declares 5000 bytes, over the 4096-byte limit/);
  });

  it('MUST refuse a stored block larger than MAX_BLOCK_SIZE without buffering it', async () => {
    const cid = await putRaw(join(home, 'ipfs', 'blocks'), new Uint8Array(MAX_BLOCK_SIZE + 1));
    const r = await drain(cid.toString());
    expect(r.error).toBeInstanceOf(IntegrityError);
    expect((r.error as Error).message).toMatch(/larger than/);
    expect(r.bytes).toBe(0);
  });
});
