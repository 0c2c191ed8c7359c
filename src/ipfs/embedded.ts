/**
 * The embedded backend (docs/STORAGE.md § "Embedded store"): blocks as files under
 * `<dir>/blocks` (blockstore-fs), pins as empty files under `<dir>/pins`. No daemon and
 * no network; only this machine's copy is ever affected.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as dagPb from '@ipld/dag-pb';
import type { CID } from 'multiformats/cid';
import { childEnv } from '../child-env.js';
import { IntegrityError, NotFoundError, UnavailableError } from '../errors.js';
import { acquireLock, liveOwner, processStartTime } from '../lock.js';
import { parseRecordCid } from './cid.js';
import { type AddSource, importFile } from './import-file.js';
import { blockTooLarge, type FetchBlock, readVerifiedFile } from './read-file.js';
import { CODEC_DAG_PB, MAX_BLOCK_SIZE } from './settings.js';
import type { RecordStore, StoreCallOptions } from './store-types.js';
import { SyncHelper } from './sync-helper.js';

export interface EmbeddedStore extends RecordStore {
  readonly kind: 'embedded';
  /**
   * Deletes every block not reachable from a pin; returns how many were removed and the
   * bytes freed. Refuses (UnavailableError) while a writer is at work (STORAGE.md § Unpin,
   * garbage collection and erasure).
   */
  gc(opts?: StoreCallOptions): Promise<{ removed: number; bytes: number; kept: number }>;
  /** Whether a pin reaches this block (what `store serve` may serve). */
  isPinnedBlock(cid: CID, opts?: StoreCallOptions): Promise<boolean>;
  writing<T>(fn: () => Promise<T>): Promise<T>;
  sync(): Promise<void>;
  discardBlocks(cids: CID[]): Promise<void>;
  /** Root CIDs pinned here. */
  pins(): Promise<string[]>;
  /** One stored block, unverified (serve.ts verifies), or undefined when absent. */
  getBlock(cid: CID, opts?: StoreCallOptions): Promise<Uint8Array | undefined>;
  /** Whether one block (any CID, not only a record root) is stored here. */
  hasBlock(cid: CID): Promise<boolean>;
  /** Stores one block the caller has verified against `cid` (car.ts); not pinned. */
  putBlock(cid: CID, bytes: Uint8Array, opts?: StoreCallOptions): Promise<void>;
}

/** This process's writer token (STORAGE.md § Unpin, garbage collection and erasure), shared by its concurrent writes. */
interface Announcement {
  token: string;
  users: number;
  ready: Promise<void>;
}

const HINT_DISK = 'check that the emr home is writable and the disk is not full';

/** blockstore-fs keys a block by its multihash: two CIDs of one block are one file. */
const keyOf = (cid: CID): string => Buffer.from(cid.multihash.bytes).toString('hex');

function isMissing(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'NotFoundError' || (e as { code?: string } | null)?.code === 'ENOENT';
}

export async function openEmbeddedStore(opts: { dir: string }): Promise<EmbeddedStore> {
  // Lazy: a Kubo-backed run loads this module (store.ts imports both backends) but never
  // needs blockstore-fs.
  const [{ FsBlockstore }, { NextToLast }] = await Promise.all([import('blockstore-fs'), import('blockstore-fs/sharding')]);
  const blocksDir = join(opts.dir, 'blocks');
  const pinsDir = join(opts.dir, 'pins');
  /** One token file per process writing blocks (add, import); gc sweeps only when none lives. */
  const writersDir = join(opts.dir, 'writers');
  const gcLock = join(opts.dir, 'gc.lock');
  // Named here, and given to the blockstore, so readBlock finds a block's file as it does.
  const sharding = new NextToLast();
  const blocks = new FsBlockstore(blocksDir, { shardingStrategy: sharding });
  try {
    await blocks.open();
    await mkdir(pinsDir, { recursive: true });
  } catch (e) {
    throw new UnavailableError('cannot open the embedded IPFS store', { hint: HINT_DISK, cause: e });
  }

  /**
   * One block file, read whole with one read into a buffer of its size: blockstore-fs's get()
   * streams it in 64 KiB reads whose pieces then need joining (a 256 MB fetch: 4 reads and a
   * copy per 256 KiB block). At most MAX_BLOCK_SIZE bytes: a planted huge block file is
   * refused before it is read, and one that grows while read is refused too.
   */
  async function readBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    const { dir, file } = sharding.encode(cid);
    const fh = await open(join(blocksDir, dir, file), 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > MAX_BLOCK_SIZE) throw blockTooLarge(cid);
      const buf = Buffer.allocUnsafe(size + 1);
      let n = 0;
      for (let got = -1; got !== 0 && n < buf.length; n += got) got = (await fh.read(buf, n, buf.length - n, n)).bytesRead;
      if (n > size) throw blockTooLarge(cid);
      return buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  }

  const fetch: FetchBlock = async (cid, { signal, isRoot }) => {
    try {
      return await readBlock(cid, signal);
    } catch (e) {
      signal.throwIfAborted();
      if (e instanceof IntegrityError) throw e;
      if (!isMissing(e)) throw new UnavailableError('cannot read the embedded IPFS store', { hint: HINT_DISK, cause: e });
      if (isRoot) {
        throw new NotFoundError(`CID ${cid} is not in the local store`, {
          hint: 'the record lives at another site: read it through --ipfs-gateway <url> of a site that serves it (`emr store serve`), or --ipfs-api <url> of a Kubo node that has it',
        });
      }
      // The root is here but a block under it is not: the local copy is damaged.
      throw new IntegrityError(`the local copy of a record is missing block ${cid}`, {
        hint: 'the embedded store is damaged; fetch the record again from a Kubo node with --ipfs-api',
        cause: e,
      });
    }
  };

  /**
   * Files this process created since the last sync() (STORAGE.md § Durability): what the
   * per-file fallback fsyncs when syncfs(2) cannot be run.
   */
  const unsynced = new Set<string>();
  /** Bounded (a CAR import of millions of blocks): past it the fallback covers the most recent files only. */
  const track = (path: string) => {
    if (unsynced.size >= MAX_UNSYNCED) unsynced.delete(unsynced.values().next().value!);
    unsynced.add(path);
  };

  /**
   * A pin is an empty file named by the root CID: creating it is one open(2) with O_CREAT,
   * which leaves the name present or absent and nothing in between (no content to tear),
   * so it needs no temporary file and rename. Durable at the next sync().
   */
  function writePin(cid: string): void {
    const path = join(pinsDir, cid);
    try {
      closeSync(openSync(path, 'w'));
    } catch (e) {
      throw new UnavailableError('cannot write a pin in the embedded IPFS store', { hint: HINT_DISK, cause: e });
    }
    track(path);
  }

  /**
   * One block at the path blockstore-fs's sharding names (so its reads, has, delete and
   * getAll see it), written as blockstore-fs writes it — a temporary file renamed into place,
   * so a killed writer leaves the block whole or absent — but with synchronous calls and the
   * shard directory made only when the write finds it missing. blockstore-fs's put made the
   * directory (mkdir -p) before every block and took five thread-pool round trips for a
   * 10 KB block: ~1.2 s of a 1,000-row batch went to the mkdirs alone (issue 26 § 2).
   */
  function putBlockFile(cid: CID, bytes: Uint8Array): void {
    const { dir, file } = sharding.encode(cid);
    const path = join(blocksDir, dir, file);
    const tmp = join(blocksDir, dir, `.${file}.${process.pid}.tmp`);
    try {
      try {
        writeFileSync(tmp, bytes);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirSync(dirname(tmp), { recursive: true });
        writeFileSync(tmp, bytes);
      }
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new UnavailableError('cannot write to the embedded IPFS store', { hint: HINT_DISK, cause: e });
    }
    track(path);
  }

  /**
   * STORAGE.md § Durability: one durability point for everything written so far, instead of
   * an fsync per file. syncfs(2) of the store's filesystem (coreutils `sync -f`: Node has no
   * binding), which also covers files an earlier, killed run wrote; where it cannot run, an
   * fsync of every file this process created since the last sync, then of their directories.
   */
  let syncing: Promise<void> | undefined;
  // One `sh` running `sync -f` per request for the store's life, not a fork of emr per sync (sync-helper.ts).
  const helper = new SyncHelper([blocksDir, pinsDir]);
  async function sync(): Promise<void> {
    // Concurrent callers share one round (what they wrote before it started is covered).
    while (syncing) await syncing;
    const files = [...unsynced];
    unsynced.clear();
    const round = helper
      .sync()
      .catch(() => syncfs([]))
      .catch(() => fsyncEach(files));
    syncing = round;
    try {
      await round;
    } catch (e) {
      for (const f of files) unsynced.add(f);
      throw new UnavailableError('cannot make the embedded IPFS store durable (fsync failed)', { hint: HINT_DISK, cause: e });
    } finally {
      if (syncing === round) syncing = undefined;
    }
  }

  /**
   * Every block reachable from `roots`, keyed by multihash (blockstore-fs's key: two CIDs
   * of one block are one file). Each block is visited once and only dag-pb nodes are read,
   * so the walk is bounded by what this store holds (it is our own disk; a DAG that repeats
   * a block costs one visit). No bound cuts it short: a live set missing blocks would let
   * forget() delete live ones.
   */
  async function reachable(roots: CID[], signal?: AbortSignal): Promise<Map<string, CID>> {
    const seen = new Map<string, CID>();
    const todo = [...roots];
    while (todo.length > 0) {
      const cid = todo.pop()!;
      const key = keyOf(cid);
      if (seen.has(key)) continue;
      seen.set(key, cid);
      if (cid.code !== CODEC_DAG_PB) continue;
      let bytes: Uint8Array;
      try {
        bytes = await readBlock(cid, signal);
      } catch {
        continue; // missing: nothing below it
      }
      try {
        for (const link of dagPb.decode(bytes).Links) todo.push(link.Hash);
      } catch {
        // a corrupt node keeps itself but cannot name children
      }
    }
    return seen;
  }

  /** The blocks every pin here keeps (gc's mark phase; what forget must not delete). */
  async function pinnedBlocks(signal?: AbortSignal): Promise<Map<string, CID>> {
    return reachable(
      (await pins()).map((p) => parseRecordCid(p).cid),
      signal,
    );
  }

  async function drain(cid: CID, signal?: AbortSignal): Promise<void> {
    for await (const _ of readVerifiedFile(cid, fetch, signal ? { signal } : {})) void _;
  }

  async function pins(): Promise<string[]> {
    return (await readdir(pinsDir)).filter((n) => !n.startsWith('.'));
  }

  /**
   * STORAGE.md § Unpin, garbage collection and erasure: a writer announces itself (a token
   * file naming its process) before it writes a block and looks for a running gc after;
   * gc takes its lock before it looks for writers. Each side announces, then looks, so at
   * least one sees the other: a writer waits for the gc to end (bounded), a gc refuses.
   */
  let announced: Announcement | undefined;
  async function writing<T>(fn: () => Promise<T>): Promise<T> {
    // Concurrent writes of this process share one announcement (a batch stores several
    // records at once): the token stays while any of them runs, so a gc that looks sees it.
    if (!announced) {
      const a: Announcement = {
        token: join(writersDir, `${process.pid}.${randomBytes(6).toString('hex')}`),
        users: 0,
        ready: Promise.resolve(),
      };
      a.ready = announce(a.token);
      announced = a;
    }
    const a = announced;
    a.users++;
    try {
      await a.ready;
      return await fn();
    } finally {
      if (--a.users === 0) {
        if (announced === a) announced = undefined;
        await rm(a.token, { force: true });
      }
    }
  }

  /** Writes the token, then looks for a running gc (waiting for it, bounded): see writing(). */
  async function announce(token: string): Promise<void> {
    const me = `${JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) })}\n`;
    for (let round = 0; ; round++) {
      try {
        await mkdir(writersDir, { recursive: true });
        await writeFile(token, me, { mode: 0o600 });
      } catch (e) {
        throw new UnavailableError('cannot write to the embedded IPFS store', { hint: HINT_DISK, cause: e });
      }
      if (!liveOwner(gcLock)) return;
      await rm(token, { force: true });
      if (round >= 600) {
        throw new UnavailableError('`emr store gc` is running on this store', { hint: 'retry when it has finished' });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Live writers; tokens of dead processes are removed on the way. */
  async function liveWriters(): Promise<number> {
    let n = 0;
    for (const name of await readdir(writersDir).catch(() => [] as string[])) {
      const path = join(writersDir, name);
      if (liveOwner(path)) n++;
      else await rm(path, { force: true });
    }
    return n;
  }

  /** Pinned blocks, recomputed when the pins directory changes (a pin added or removed). */
  let pinnedCache: { stamp: number; live: Map<string, CID> } | undefined;
  async function pinnedNow(signal?: AbortSignal): Promise<Map<string, CID>> {
    const stamp = (await stat(pinsDir)).mtimeMs;
    if (pinnedCache?.stamp === stamp) return pinnedCache.live;
    const live = await pinnedBlocks(signal);
    pinnedCache = { stamp, live };
    return live;
  }

  async function addNow(source: AddSource, o: StoreCallOptions) {
    const result = await importFile(
      source,
      {
        put: async (cid, bytes, p) => {
          p?.signal?.throwIfAborted();
          putBlockFile(cid, bytes);
          return cid;
        },
      },
      o,
    );
    // Pinning last makes add atomic for callers: a failure above leaves only unpinned
    // blocks, which gc() removes.
    writePin(result.cid);
    return result;
  }

  const store: EmbeddedStore = {
    kind: 'embedded',

    add(source: AddSource, o: StoreCallOptions = {}) {
      return writing(() => addNow(source, o));
    },

    addBytes(bytes: Uint8Array, o?: StoreCallOptions) {
      return store.add(
        (async function* () {
          yield bytes;
        })(),
        o,
      );
    },

    cat(cid: string, o: StoreCallOptions = {}) {
      const { cid: root } = parseRecordCid(cid);
      return readVerifiedFile(root, fetch, o);
    },

    async has(cid: string) {
      return blocks.has(parseRecordCid(cid).cid);
    },

    async pin(cid: string, o: StoreCallOptions = {}) {
      const { cid: root } = parseRecordCid(cid);
      // Only a complete, verified DAG may be pinned.
      await drain(root, o.signal);
      writePin(root.toString());
    },

    async unpin(cid: string) {
      const { cid: root } = parseRecordCid(cid);
      await rm(join(pinsDir, root.toString()), { force: true });
    },

    // STORAGE.md § Unpin: the local copy goes at once. Only the blocks of this DAG that no
    // remaining pin reaches are deleted (not every unpinned block, as gc() would: an add in
    // progress in another process keeps its blocks), so `store serve` stops serving a
    // ciphertext that `revoke --rekey` replaced (SHARING.md § 3.3).
    async forget(cid: string, o: StoreCallOptions = {}) {
      const { cid: root } = parseRecordCid(cid);
      await rm(join(pinsDir, root.toString()), { force: true });
      const live = await pinnedBlocks(o.signal);
      for (const [key, c] of await reachable([root], o.signal)) {
        if (live.has(key)) continue;
        await blocks.delete(c).catch(() => undefined); // already gone: nothing to free
      }
    },

    pins,

    async getBlock(cid: CID, o: StoreCallOptions = {}) {
      try {
        return await readBlock(cid, o.signal);
      } catch (e) {
        if (isMissing(e)) return undefined;
        if (e instanceof IntegrityError) throw e; // a planted oversized block: damaged, not unreadable
        throw new UnavailableError('cannot read the embedded IPFS store', { hint: HINT_DISK, cause: e });
      }
    },

    async hasBlock(cid: CID) {
      return blocks.has(cid);
    },

    async putBlock(cid: CID, bytes: Uint8Array, o: StoreCallOptions = {}) {
      o.signal?.throwIfAborted();
      putBlockFile(cid, bytes);
    },

    sync,

    async gc(o: StoreCallOptions = {}) {
      const lock = acquireLock(gcLock, '`emr store gc` on this store', 'wait for it to finish');
      try {
        // The lock is taken before writers are looked for (see writing()).
        const busy = await liveWriters();
        if (busy > 0) {
          throw new UnavailableError(`${busy} process(es) are adding to this store; nothing was removed`, {
            hint: 'run `emr store gc` again when the add or import has finished',
          });
        }
        const live = await pinnedBlocks(o.signal);
        let removed = 0;
        let bytes = 0;
        for await (const { cid } of blocks.getAll(o.signal ? { signal: o.signal } : {})) {
          if (live.has(keyOf(cid))) continue;
          const { dir, file } = sharding.encode(cid);
          bytes += await stat(join(blocksDir, dir, file)).then(
            (st) => st.size,
            () => 0,
          );
          await blocks.delete(cid);
          removed++;
        }
        return { removed, bytes, kept: live.size };
      } finally {
        lock.release();
      }
    },

    async isPinnedBlock(cid: CID, o: StoreCallOptions = {}) {
      return (await pinnedNow(o.signal)).has(keyOf(cid));
    },

    writing,

    async discardBlocks(cids: CID[]) {
      const live = await pinnedBlocks();
      for (const c of cids) {
        if (live.has(keyOf(c))) continue;
        await blocks.delete(c).catch(() => undefined);
      }
    },

    async close() {
      helper.close();
      await blocks.close();
    },
  };
  return store;
}

/** Paths the per-file fallback of sync() remembers at most. */
const MAX_UNSYNCED = 100_000;

/**
 * coreutils `sync`: with `-f <dirs>`, syncfs(2) of the filesystems holding them (Linux);
 * bare, sync(2) of every filesystem. Rejects where it cannot run.
 */
function syncfs(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', args, { env: childEnv(), timeout: 120_000 }, (e) => (e ? reject(e) : resolve()));
  });
}

/** The fallback of sync(): fsync each file, then each directory that gained an entry. */
async function fsyncEach(files: string[]): Promise<void> {
  const dirs = new Set(files.map((f) => dirname(f)));
  for (const path of [...files, ...dirs]) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted since (gc, forget): nothing to keep
      throw e;
    }
    try {
      fsyncSync(fd);
    } catch (e) {
      // Some filesystems refuse a directory's fsync (as fs-atomic.ts allows); a file's is a failure.
      if (!dirs.has(path)) throw e;
    } finally {
      closeSync(fd);
    }
  }
}
