/** Floor 4: the record store for a command run (docs/CLI.md: `--ipfs-api`, default embedded). */
import type { Context } from '../context.js';
import type { RecordStore } from '../ipfs/store.js';

export async function storeFor(ctx: Context): Promise<RecordStore> {
  const cached = ctx.cache.get('store') as RecordStore | undefined;
  if (cached) return cached;
  const { openStore } = await import('../ipfs/store.js');
  const store = await openStore({ home: ctx.home, ipfsApi: ctx.globals.ipfsApi ?? ctx.config.get('ipfsApi') });
  ctx.onClose(() => store.close());
  ctx.cache.set('store', store);
  return store;
}

/** A private scratch directory under the home for ciphertext on its way to the store. */
export async function scratchDir(ctx: Context): Promise<string> {
  const { mkdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(ctx.home, 'tmp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
