/**
 * The `store gc` flow (docs/STORAGE.md § Unpin, garbage collection and erasure): delete
 * every block of the embedded store that no pin reaches, never under a running add.
 */
import { join } from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { openEmbeddedStore } from '../ipfs/embedded.js';

export async function storeGcFlow(ctx: Context): Promise<{ removed: number; bytes: number; kept: number }> {
  if (ctx.globals.ipfsApi ?? ctx.globals.ipfsApis ?? ctx.config.get('ipfsApi') ?? ctx.config.get('ipfsApis')) {
    throw new UsageError('store gc collects the embedded store, and --ipfs-api names a Kubo node', {
      hint: 'on a Kubo node run `ipfs repo gc`; drop --ipfs-api to collect this home’s store',
    });
  }
  const store = await openEmbeddedStore({ dir: join(ctx.home, 'ipfs') });
  try {
    return await store.gc();
  } finally {
    await store.close();
  }
}
