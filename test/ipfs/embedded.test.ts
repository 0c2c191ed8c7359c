import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dagPb from '@ipld/dag-pb';
import { FsBlockstore } from 'blockstore-fs';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError, UsageError } from '../../src/errors.js';
import { cidFromDigest } from '../../src/ipfs/cid.js';
import { type EmbeddedStore, openEmbeddedStore } from '../../src/ipfs/embedded.js';
import { CHUNK_SIZE } from '../../src/ipfs/settings.js';
import { openStore } from '../../src/ipfs/store.js';
import { bytesOf, chunked, collect, SIZES, sameBytes } from './corpus.js';

let home: string;
let store: EmbeddedStore;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'emr-ipfs-emb-'));
  store = (await openStore({ home })) as EmbeddedStore;
});
afterEach(async () => {
  await store.close();
  await rm(home, { recursive: true, force: true });
});

/** Overwrites a stored block with other bytes, as disk rot or tampering would. */
async function corruptBlock(cid: CID, bytes: Uint8Array): Promise<void> {
  const bs = new FsBlockstore(join(home, 'ipfs', 'blocks'));
  await bs.open();
  await bs.delete(cid);
  await bs.put(cid, bytes);
}

async function countBlocks(): Promise<number> {
  const bs = new FsBlockstore(join(home, 'ipfs', 'blocks'));
  let n = 0;
  for await (const _ of bs.getAll()) n += _ ? 1 : 0;
  return n;
}

async function leavesOf(root: string): Promise<CID[]> {
  const bs = new FsBlockstore(join(home, 'ipfs', 'blocks'));
  const parts: Uint8Array[] = [];
  for await (const p of bs.get(CID.parse(root))) parts.push(p);
  return dagPb.decode(Buffer.concat(parts)).Links.map((l) => l.Hash);
}

describe('embedded store', () => {
  it('opens under <home>/ipfs and reports its kind', async () => {
    expect(store.kind).toBe('embedded');
    expect((await readdir(join(home, 'ipfs'))).sort()).toEqual(['blocks', 'pins']);
  });

  it.each(SIZES)('round-trips %i bytes (add from a stream and from a path agree)', async (n) => {
    const bytes = bytesOf(n, n);
    const a = await store.add(chunked(bytes));
    const file = join(home, 'in.bin');
    await writeFile(file, bytes);
    const b = await store.add(file);
    const c = await store.addBytes(bytes);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a.size).toBe(n);
    expect(a.codec).toBe(n <= CHUNK_SIZE ? 0x55 : 0x70);
    expect(a.digest).toHaveLength(32);
    expect(cidFromDigest(a.codec, a.digest)).toBe(a.cid);
    if (a.codec === 0x55) {
      // a single raw block: its CID digest is the content's sha256
      expect(Buffer.from(a.digest)).toEqual(createHash('sha256').update(bytes).digest());
    }
    expect(sameBytes(await collect(store.cat(a.cid)), bytes)).toBe(true);
    expect(await store.has(a.cid)).toBe(true);
    expect(await store.pins()).toContain(a.cid);
  });

  it('gives different content different CIDs', async () => {
    const a = await store.addBytes(bytesOf(100, 1));
    const b = await store.addBytes(bytesOf(100, 2));
    expect(a.cid).not.toBe(b.cid);
  });

  it('unknown CID → NotFoundError; has() is false', async () => {
    const missing = cidFromDigest(0x70, new Uint8Array(32).fill(7));
    expect(await store.has(missing)).toBe(false);
    await expect(collect(store.cat(missing))).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.pin(missing)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a malformed CID is a usage error', async () => {
    expect(() => store.cat('nope')).toThrow(UsageError);
    await expect(store.has('nope')).rejects.toBeInstanceOf(UsageError);
  });

  it('a corrupted leaf → IntegrityError, and no byte that differs from the original is ever yielded', async () => {
    const bytes = bytesOf(3 * CHUNK_SIZE + 5, 42);
    const { cid } = await store.addBytes(bytes);
    const leaves = await leavesOf(cid);
    expect(leaves).toHaveLength(4);
    const bad = bytesOf(CHUNK_SIZE, 99);
    await corruptBlock(leaves[2]!, bad);
    const seen: Uint8Array[] = [];
    let error: unknown;
    try {
      for await (const part of store.cat(cid)) seen.push(part);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).exitCode).toBe(4);
    const got = Buffer.concat(seen);
    expect(got.length).toBeLessThanOrEqual(2 * CHUNK_SIZE); // stopped before the bad block
    expect(sameBytes(got, bytes.subarray(0, got.length))).toBe(true);
  });

  it('a corrupted single-block record and a corrupted root → IntegrityError', async () => {
    const small = await store.addBytes(bytesOf(1000, 5));
    await corruptBlock(CID.parse(small.cid), bytesOf(1000, 6));
    await expect(collect(store.cat(small.cid))).rejects.toBeInstanceOf(IntegrityError);

    const big = await store.addBytes(bytesOf(CHUNK_SIZE + 1, 7));
    await corruptBlock(CID.parse(big.cid), new Uint8Array([0x0a, 0x02, 0x08, 0x02]));
    await expect(collect(store.cat(big.cid))).rejects.toBeInstanceOf(IntegrityError);
  });

  it('a truncated leaf (same CID, fewer bytes) → IntegrityError', async () => {
    const bytes = bytesOf(2 * CHUNK_SIZE, 8);
    const { cid } = await store.addBytes(bytes);
    const [first] = await leavesOf(cid);
    await corruptBlock(first!, bytes.subarray(0, CHUNK_SIZE - 1));
    await expect(collect(store.cat(cid))).rejects.toBeInstanceOf(IntegrityError);
  });

  it('STORAGE.md § Limits: a planted block file larger than MAX_BLOCK_SIZE → IntegrityError "larger than", refused before it is read', async () => {
    const { cid } = await store.addBytes(bytesOf(2 * CHUNK_SIZE, 10));
    const [first] = await leavesOf(cid);
    await corruptBlock(first!, new Uint8Array(64 << 20));
    const rss0 = process.memoryUsage().rss;
    const err = await collect(store.cat(cid)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toMatch(/larger than \d+ bytes/);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(32 << 20);
    // The block API the store server uses refuses it the same way.
    await expect(store.getBlock(first!)).rejects.toThrow(/larger than/);
  });

  it('a missing block under a present root → IntegrityError (the local copy is damaged)', async () => {
    const { cid } = await store.addBytes(bytesOf(2 * CHUNK_SIZE + 1, 9));
    const leaves = await leavesOf(cid);
    const bs = new FsBlockstore(join(home, 'ipfs', 'blocks'));
    await bs.delete(leaves[1]!);
    await expect(collect(store.cat(cid))).rejects.toBeInstanceOf(IntegrityError);
  });

  it('a missing input path → NotFoundError (exit 7), a directory → UsageError, and nothing pinned', async () => {
    await expect(store.add(join(home, 'does-not-exist'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.add(home)).rejects.toBeInstanceOf(UsageError); // a directory
    expect(await store.pins()).toEqual([]);
  });

  it('a failed add pins nothing, and gc() removes its stray blocks but keeps pinned ones', async () => {
    const kept = await store.addBytes(bytesOf(2 * CHUNK_SIZE + 3, 10));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytesOf(3 * CHUNK_SIZE, 11);
      throw new Error('source broke');
    }
    await expect(store.add(failing())).rejects.toThrow('source broke');
    expect(await store.pins()).toEqual([kept.cid]);
    await store.gc();
    expect(await countBlocks()).toBe(4); // the kept record's 3 leaves + root, nothing else
    expect(sameBytes(await collect(store.cat(kept.cid)), bytesOf(2 * CHUNK_SIZE + 3, 10))).toBe(true);
    expect((await store.gc()).removed).toBe(0);
  });

  it('concurrent adds share one writer token, held until the last has pinned; gc refuses meanwhile (STORAGE.md § Unpin, garbage collection and erasure)', async () => {
    const writers = join(home, 'ipfs', 'writers');
    const gates: Array<() => void> = [];
    async function* gated(seed: number): AsyncGenerator<Uint8Array> {
      yield bytesOf(CHUNK_SIZE, seed);
      await new Promise<void>((r) => gates.push(r));
      yield bytesOf(7, seed + 1);
    }
    const a = store.add(gated(20));
    const b = store.add(gated(30));
    // Both adds are past their announcement once both wait at their gate.
    while (gates.length < 2) await new Promise((r) => setImmediate(r));
    expect((await readdir(writers)).length).toBe(1);
    await expect(store.gc()).rejects.toThrow(/adding to this store/);
    gates[0]!();
    await a;
    // One add is still running: its token is still there and gc still refuses.
    expect((await readdir(writers)).length).toBe(1);
    await expect(store.gc()).rejects.toThrow(/adding to this store/);
    gates[1]!();
    await b;
    expect(await readdir(writers)).toEqual([]);
    expect((await store.pins()).length).toBe(2);
    expect((await store.gc()).removed).toBe(0);
  });

  it('an aborted add pins nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(store.addBytes(bytesOf(10, 1), { signal: ac.signal })).rejects.toThrow();
    expect(await store.pins()).toEqual([]);
  });

  it('unpin + gc frees the local copy (and only the local copy: see STORAGE.md § Erasure)', async () => {
    const a = await store.addBytes(bytesOf(CHUNK_SIZE + 10, 12));
    await store.unpin(a.cid);
    await store.unpin(a.cid); // idempotent
    expect(await store.has(a.cid)).toBe(true); // unpin alone deletes nothing
    expect((await store.gc()).removed).toBe(3);
    expect(await store.has(a.cid)).toBe(false);
    await expect(collect(store.cat(a.cid))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('forget() deletes the DAG at once, but keeps a block another pin reaches and the unpinned blocks of an add in progress (STORAGE.md § Unpin)', async () => {
    const shared = bytesOf(CHUNK_SIZE, 30);
    const a = await store.addBytes(Buffer.concat([shared, bytesOf(100, 31)]));
    const b = await store.addBytes(Buffer.concat([shared, bytesOf(100, 32)]));
    const [leafA0, leafA1] = await leavesOf(a.cid);
    expect((await leavesOf(b.cid))[0]!.equals(leafA0!)).toBe(true); // one leaf, two DAGs
    // A block another process has stored but not yet pinned.
    const stray = CID.createV1(0x55, await sha256.digest(bytesOf(500, 33)));
    await store.putBlock(stray, bytesOf(500, 33));
    const before = await countBlocks();
    await store.forget(a.cid);
    await store.forget(a.cid); // idempotent
    expect(await store.has(a.cid)).toBe(false);
    expect(await store.hasBlock(leafA1!)).toBe(false);
    expect(await store.hasBlock(leafA0!)).toBe(true);
    expect(await store.hasBlock(stray)).toBe(true);
    expect(await countBlocks()).toBe(before - 2); // a's root and its own leaf
    expect(sameBytes(await collect(store.cat(b.cid)), Buffer.concat([shared, bytesOf(100, 32)]))).toBe(true);
    expect(await store.pins()).toEqual([b.cid]);
  });

  it('pin() re-pins a complete DAG and refuses a damaged one', async () => {
    const a = await store.addBytes(bytesOf(CHUNK_SIZE + 10, 13));
    await store.unpin(a.cid);
    await store.pin(a.cid);
    expect(await store.pins()).toEqual([a.cid]);
    await store.unpin(a.cid);
    const [leaf] = await leavesOf(a.cid);
    await corruptBlock(leaf!, bytesOf(CHUNK_SIZE, 14));
    await expect(store.pin(a.cid)).rejects.toBeInstanceOf(IntegrityError);
    expect(await store.pins()).toEqual([]);
  });

  it('a consumer that stops early leaves the store usable', async () => {
    const bytes = bytesOf(4 * CHUNK_SIZE, 15);
    const { cid } = await store.addBytes(bytes);
    for await (const part of store.cat(cid)) {
      expect(part.length).toBe(CHUNK_SIZE);
      break;
    }
    expect(sameBytes(await collect(store.cat(cid)), bytes)).toBe(true);
  });

  it('a second store on the same home sees the same records (state is on disk)', async () => {
    const a = await store.addBytes(bytesOf(500, 16));
    const again = await openEmbeddedStore({ dir: join(home, 'ipfs') });
    expect(sameBytes(await collect(again.cat(a.cid)), bytesOf(500, 16))).toBe(true);
    await again.close();
  });
});

describe('embedded store: DAG structure checks (hash-valid but inconsistent nodes)', () => {
  /** Stores a re-encoded root under its true CID, so only the structure checks can catch it. */
  async function putRewrittenRoot(cid: string, edit: (u: UnixFS) => void): Promise<string> {
    const bs = new FsBlockstore(join(home, 'ipfs', 'blocks'));
    const parts: Uint8Array[] = [];
    for await (const p of bs.get(CID.parse(cid))) parts.push(p);
    const node = dagPb.decode(Buffer.concat(parts));
    const unixfs = UnixFS.unmarshal(node.Data!);
    edit(unixfs);
    const bytes = dagPb.encode(dagPb.prepare({ Data: unixfs.marshal(), Links: node.Links }));
    const newCid = CID.createV1(0x70, await sha256.digest(bytes));
    await bs.put(newCid, bytes);
    return newCid.toString();
  }

  it('a root declaring a wrong leaf size → IntegrityError', async () => {
    const { cid } = await store.addBytes(bytesOf(2 * CHUNK_SIZE + 10, 20));
    const bad = await putRewrittenRoot(cid, (u) => {
      u.blockSizes[2] = u.blockSizes[2]! + 1n;
    });
    await expect(collect(store.cat(bad))).rejects.toBeInstanceOf(IntegrityError);
  });

  it('a root that is a directory, not a file → IntegrityError', async () => {
    const { cid } = await store.addBytes(bytesOf(CHUNK_SIZE + 10, 21));
    const bad = await putRewrittenRoot(cid, (u) => {
      u.type = 'directory';
      u.blockSizes = [];
    });
    await expect(collect(store.cat(bad))).rejects.toBeInstanceOf(IntegrityError);
  });
});
