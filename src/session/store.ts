/** Floor 4: the record store for a command run (docs/CLI.md: `--ipfs-api`, default embedded). */

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { withGateways } from '../ipfs/gateway-store.js';
import { replicatedStore } from '../ipfs/replicated.js';
import type { RecordStore } from '../ipfs/store.js';
import { openStore } from '../ipfs/store.js';
import { urlLabel } from '../output.js';
import { scratchPath } from './store-path.js';

export async function storeFor(ctx: Context): Promise<RecordStore> {
  const cached = ctx.cache.get('store') as RecordStore | undefined;
  if (cached) return cached;
  const apis = ctx.globals.ipfsApis ?? (ctx.globals.ipfsApi ? undefined : ctx.config.get('ipfsApis'));
  let store: RecordStore;
  if (apis && apis.length > 1) {
    // STORAGE.md § "Replicas": every node, or --replicas of them, before registration.
    const nodes = [];
    // A node's name is printed (pinnedOn, errors): credentials in its URL are not (output.ts urlLabel).
    for (const url of apis) nodes.push({ name: urlLabel(url), store: await openStore({ home: ctx.home, ipfsApi: url }) });
    store = replicatedStore(nodes, ctx.globals.replicas ?? ctx.config.get('replicas') ?? nodes.length);
  } else {
    store = await openStore({ home: ctx.home, ipfsApi: ctx.globals.ipfsApi ?? ctx.config.get('ipfsApi') });
  }
  // STORAGE.md § "Gateways": --ipfs-gateway, else EMR_IPFS_GATEWAY, else the config list.
  const gateways = ctx.globals.ipfsGateways ?? ctx.config.get('ipfsGateways') ?? [];
  if (gateways.length > 0) {
    store = withGateways(store, { urls: gateways, scratchDir: await scratchDir(ctx), ...gatewayTimeout(ctx) });
  }
  ctx.onClose(() => store.close());
  ctx.cache.set('store', store);
  return store;
}

/**
 * Every store this site controls, one by one (CONTRACT.md § Erasure): each `--ipfs-api`
 * node (config `ipfsApis`/`ipfsApi`), and the home's embedded store when it exists. Not the
 * gateways: they are other sites' caches, read-only here. The caller closes them.
 */
export async function controlledStores(ctx: Context): Promise<Array<{ name: string; store: RecordStore }>> {
  const apis = ctx.globals.ipfsApis ?? (ctx.globals.ipfsApi ? [ctx.globals.ipfsApi] : undefined) ?? ctx.config.get('ipfsApis');
  const one = ctx.config.get('ipfsApi');
  const urls = apis && apis.length > 0 ? apis : one ? [one] : [];
  const out: Array<{ name: string; store: RecordStore }> = [];
  for (const url of urls) out.push({ name: urlLabel(url), store: await openStore({ home: ctx.home, ipfsApi: url }) });
  if (urls.length === 0 || existsSync(join(ctx.home, 'ipfs'))) out.push({ name: 'embedded', store: await openStore({ home: ctx.home }) });
  return out;
}

/** A private scratch directory under the home for ciphertext on its way to the store. */
export async function scratchDir(ctx: Context): Promise<string> {
  const dir = scratchPath(ctx.home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** EMR_IPFS_TIMEOUT (seconds): how long a gateway may stay silent, and the base of each request's deadline (STORAGE.md § Gateways "Time"). */
function gatewayTimeout(ctx: Context): { timeoutMs?: number } {
  const v = ctx.env.EMR_IPFS_TIMEOUT;
  if (v === undefined || v === '') return {};
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) {
    throw new UsageError('EMR_IPFS_TIMEOUT must be a number of seconds between 0 and 3600', { hint: 'e.g. EMR_IPFS_TIMEOUT=30' });
  }
  return { timeoutMs: Math.round(n * 1000) };
}
