/**
 * The record store (docs/STORAGE.md): one interface, two backends.
 *
 * - `embedded` (default): blocks on disk under `<home>/ipfs`, no daemon, no network.
 * - `kubo`: a Kubo RPC API, or an IPFS Cluster's Kubo-compatible proxy for replicated
 *   pinning (STORAGE.md § "Kubo and IPFS Cluster").
 *
 * Both build the DAG locally with the same fixed settings (settings.ts), so one
 * ciphertext has one CID everywhere, and both verify every block they read.
 * Both backend modules are light; each loads its heavy package (blockstore-fs,
 * kubo-rpc-client) only when opened, and CLI start-up loads neither (commands load this lazily).
 */
import { join } from 'node:path';
import { openEmbeddedStore } from './embedded.js';
import { openKuboStore } from './kubo.js';
import type { RecordStore } from './store-types.js';

// The interface lives in store-types.ts, so the backends can implement it without
// importing this file (which imports them): no import cycle.
export type { AddResult, AddSource, CatOptions, RecordStore, StoreCallOptions } from './store-types.js';

export interface OpenStoreOptions {
  /** The emr home; the embedded store lives in `<home>/ipfs`. */
  home: string;
  /** A Kubo RPC API URL (`--ipfs-api`); when given, the Kubo backend is used. */
  ipfsApi?: string | undefined;
  /** Kubo: how long to look for a block before calling it missing (ms, default 30 000). */
  timeoutMs?: number;
}

/** Opens the backend the options call for (docs/CLI.md: `--ipfs-api`, `EMR_IPFS_API`). */
export async function openStore(opts: OpenStoreOptions): Promise<RecordStore> {
  if (opts.ipfsApi !== undefined && opts.ipfsApi !== '') {
    return openKuboStore({ url: opts.ipfsApi, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
  }
  return openEmbeddedStore({ dir: join(opts.home, 'ipfs') });
}
