/**
 * The record store (docs/STORAGE.md): one interface, two backends.
 *
 * - `embedded` (default): blocks on disk under `<home>/ipfs`, no daemon, no network.
 * - `kubo`: a Kubo RPC API, or an IPFS Cluster's Kubo-compatible proxy for replicated
 *   pinning (STORAGE.md § "Kubo and IPFS Cluster").
 *
 * Both build the DAG locally with the same fixed settings (settings.ts), so one
 * ciphertext has one CID everywhere, and both verify every block they read.
 * Backends are loaded lazily so that CLI start-up does not pay for them.
 */
import { join } from 'node:path';
import type { CID } from 'multiformats/cid';
import type { AddResult, AddSource } from './import-file.js';

export type { AddResult, AddSource } from './import-file.js';

export interface StoreCallOptions {
  signal?: AbortSignal;
}

/** `cat` options: a caller that knows a tighter size bound passes it (STORAGE.md § "Limits"). */
export interface CatOptions extends StoreCallOptions {
  /** Largest declared file size accepted (default and ceiling: MAX_FILE_SIZE). */
  maxSize?: bigint;
}

export interface RecordStore {
  readonly kind: 'embedded' | 'kubo';
  /**
   * Imports a file (path) or byte stream and pins the root. Atomic from the caller's
   * view: on failure nothing new is pinned (stray blocks are left for GC).
   */
  add(source: AddSource, opts?: StoreCallOptions): Promise<AddResult>;
  /** `add` for bytes already in memory. */
  addBytes(bytes: Uint8Array, opts?: StoreCallOptions): Promise<AddResult>;
  /**
   * Streams a file's bytes; every block is verified against its CID first, so a bad
   * block raises IntegrityError before the stream ends. Unknown CID: NotFoundError.
   */
  cat(cid: string, opts?: CatOptions): AsyncIterable<Uint8Array>;
  /** Whether this store holds the root block locally (never asks the network). */
  has(cid: string, opts?: StoreCallOptions): Promise<boolean>;
  /** Pins the DAG (recursively) so GC keeps it. */
  pin(cid: string, opts?: StoreCallOptions): Promise<void>;
  /** Unpins; the blocks stay until GC. Other nodes' copies are untouched (STORAGE.md § "Erasure"). */
  unpin(cid: string, opts?: StoreCallOptions): Promise<void>;
  close(): Promise<void>;
  /** One block as stored (unverified; callers verify), or undefined when absent (car.ts). */
  getBlock?(cid: CID, opts?: StoreCallOptions): Promise<Uint8Array | undefined>;
  /** Stores one block the caller has verified against `cid`, unpinned (car.ts imports). */
  putBlock?(cid: CID, bytes: Uint8Array, opts?: StoreCallOptions): Promise<void>;
}

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
    const { openKuboStore } = await import('./kubo.js');
    return openKuboStore({ url: opts.ipfsApi, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) });
  }
  const { openEmbeddedStore } = await import('./embedded.js');
  return openEmbeddedStore({ dir: join(opts.home, 'ipfs') });
}
