/**
 * Crafted UnixFS DAGs for the read limits (docs/STORAGE.md § Limits), written straight
 * into a real blockstore-fs directory (the embedded store's `<home>/ipfs/blocks`).
 */

import { randomBytes } from 'node:crypto';
import * as dagPb from '@ipld/dag-pb';
import { FsBlockstore } from 'blockstore-fs';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';

const RAW = 0x55;

async function cidOf(code: number, bytes: Uint8Array): Promise<CID> {
  return CID.createV1(code, await sha256.digest(bytes));
}

/** A dag-pb UnixFS file node over `children` (cid, declared size). */
export async function fileNode(children: Array<{ cid: CID; size: number | bigint }>): Promise<{ cid: CID; bytes: Uint8Array }> {
  const u = new UnixFS({ type: 'file' });
  for (const c of children) u.addBlockSize(BigInt(c.size));
  const bytes = dagPb.encode(dagPb.prepare({ Data: u.marshal(), Links: children.map((c) => ({ Hash: c.cid, Tsize: Number(c.size) })) }));
  return { cid: await cidOf(dagPb.code, bytes), bytes };
}

/**
 * The 3-block bomb: one random leaf of `leafSize`, a middle node linking it `fanout`
 * times, a root linking the middle node `fanout2` times. Declares
 * leafSize·fanout·fanout2 bytes from three stored blocks.
 */
export async function putBomb(
  blocksDir: string,
  leafSize: number,
  fanout: number,
  fanout2: number,
): Promise<{ root: CID; declared: number }> {
  const store = new FsBlockstore(blocksDir);
  await store.open();
  try {
    const leaf = new Uint8Array(randomBytes(leafSize));
    const leafCid = await cidOf(RAW, leaf);
    const mid = await fileNode(Array.from({ length: fanout }, () => ({ cid: leafCid, size: leafSize })));
    const root = await fileNode(Array.from({ length: fanout2 }, () => ({ cid: mid.cid, size: leafSize * fanout })));
    await store.put(leafCid, leaf);
    await store.put(mid.cid, mid.bytes);
    await store.put(root.cid, root.bytes);
    return { root: root.cid, declared: leafSize * fanout * fanout2 };
  } finally {
    await store.close();
  }
}

/** A root declaring `count` children of `each` bytes, none of them stored. */
export async function putHugeRoot(blocksDir: string, count: number, each: bigint): Promise<CID> {
  const store = new FsBlockstore(blocksDir);
  await store.open();
  try {
    const kids = await Promise.all(
      Array.from({ length: count }, async () => ({ cid: await cidOf(dagPb.code, randomBytes(32)), size: each })),
    );
    const root = await fileNode(kids);
    await store.put(root.cid, root.bytes);
    return root.cid;
  } finally {
    await store.close();
  }
}

/** Writes one raw block file of `size` bytes under `cid`'s key (a planted oversized block). */
export async function putRaw(blocksDir: string, bytes: Uint8Array): Promise<CID> {
  const store = new FsBlockstore(blocksDir);
  await store.open();
  try {
    const cid = await cidOf(RAW, bytes);
    await store.put(cid, bytes);
    return cid;
  } finally {
    await store.close();
  }
}
