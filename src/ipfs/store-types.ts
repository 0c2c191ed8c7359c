/**
 * The record store interface (docs/STORAGE.md), in a file of its own: store.ts opens a
 * backend and the backends (embedded.ts, kubo.ts) implement this, so neither side imports
 * the other's module and the import graph has no cycle.
 */
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
  /** Unpins; the blocks stay until GC. Other nodes' copies are untouched (STORAGE.md § "Unpin, garbage collection and erasure"). */
  unpin(cid: string, opts?: StoreCallOptions): Promise<void>;
  /**
   * Removes this store's copy now (STORAGE.md § Unpin): the embedded store unpins and
   * deletes the DAG's blocks that no other pin reaches; a Kubo node unpins, and its own GC
   * frees the blocks.
   */
  forget(cid: string, opts?: StoreCallOptions): Promise<void>;
  /**
   * `forget`, and on a Kubo node the DAG's blocks deleted now too (`block/rm`, leaves
   * before the root, a block another pin keeps is left), not at the node's next GC: the
   * erasure of a record (CONTRACT.md § Erasure). Without it, `forget` is the same.
   */
  purge?(cid: string, opts?: StoreCallOptions): Promise<void>;
  close(): Promise<void>;
  /** One block as stored (unverified; callers verify), or undefined when absent (car.ts). */
  getBlock?(cid: CID, opts?: StoreCallOptions): Promise<Uint8Array | undefined>;
  /** Stores one block the caller has verified against `cid`, unpinned (car.ts imports). */
  putBlock?(cid: CID, bytes: Uint8Array, opts?: StoreCallOptions): Promise<void>;
  /** Whether one block (any CID) is stored here (embedded). */
  hasBlock?(cid: CID): Promise<boolean>;
  /**
   * Runs `fn` as a writer that `gc` must not sweep under (embedded: STORAGE.md § Unpin,
   * garbage collection and erasure); other backends just run it.
   */
  writing?<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Makes everything this store wrote so far durable against a power loss (embedded: one
   * syncfs of the store's filesystem, STORAGE.md § Durability). Called before what it
   * wrote is registered on chain; a Kubo node keeps its own durability and has none.
   */
  sync?(): Promise<void>;
  /** Deletes these blocks unless a pin reaches them (an import undone; embedded). */
  discardBlocks?(cids: CID[]): Promise<void>;
}
