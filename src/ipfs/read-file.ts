/**
 * A pull-based, verifying UnixFS file reader (docs/STORAGE.md § "Reading").
 *
 * Why not `ipfs-unixfs-exporter`'s `content()`: its DAG walk pushes into an unbounded
 * queue without back-pressure, so a slow consumer makes memory grow with file size.
 * Here the consumer drives the walk; at most READ_AHEAD_BLOCKS blocks per DAG level are
 * in flight. Every block is verified against its CID (verify.ts) before use, and the
 * declared sizes are checked, so a bad block surfaces as IntegrityError before the
 * stream ends and no unverified byte is ever yielded.
 */
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { IntegrityError } from '../errors.js';
import {
  CODEC_DAG_PB,
  CODEC_RAW,
  MAX_BLOCK_SIZE,
  MAX_CHILDREN_PER_NODE,
  MAX_DAG_DEPTH,
  MAX_FILE_SIZE,
  READ_AHEAD_BLOCKS,
} from './settings.js';
import { verifyBlock } from './verify.js';

/**
 * A backend's raw block access. `isRoot` lets it tell "unknown CID" from "damaged DAG".
 * It MUST refuse (IntegrityError via `blockTooLarge`) a block longer than MAX_BLOCK_SIZE
 * while it streams in, never buffering more (STORAGE.md § "Limits").
 */
export type FetchBlock = (cid: CID, opts: { signal: AbortSignal; isRoot: boolean }) => Promise<Uint8Array>;

const HINT = 'the stored record is damaged or was tampered with';

function malformed(what: string, cause?: unknown): IntegrityError {
  return new IntegrityError(`not a valid UnixFS file: ${what}`, { hint: HINT, cause });
}

/** What a backend throws when a block exceeds MAX_BLOCK_SIZE (shared by every backend). */
export function blockTooLarge(cid: CID | string): IntegrityError {
  return new IntegrityError(`block ${cid} is larger than ${MAX_BLOCK_SIZE} bytes`, {
    hint: 'no emr record has blocks this large: the store or node is damaged or hostile',
  });
}

/** STORAGE.md § "Limits": per-read bounds; every field defaults to the global limit. */
export interface ReadLimits {
  /** Largest declared file size accepted, checked at the root before any other block. */
  maxSize?: bigint;
}

/** Walk state shared by every level: the CIDs already used (a DAG reusing a block is a bomb). */
interface WalkState {
  seen: Set<string>;
  fetch: FetchBlock;
  signal: AbortSignal;
}

function decodeNode(cid: CID, bytes: Uint8Array): { node: dagPb.PBNode; unixfs: UnixFS } {
  let node: dagPb.PBNode;
  let unixfs: UnixFS;
  try {
    node = dagPb.decode(bytes);
    if (node.Data === undefined) throw new Error('no Data');
    unixfs = UnixFS.unmarshal(node.Data);
  } catch (e) {
    throw malformed(`block ${cid} is not a UnixFS node`, e);
  }
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') {
    throw malformed(`block ${cid} is a ${unixfs.type}, not a file`);
  }
  if (node.Links.length !== unixfs.blockSizes.length) {
    throw malformed(`block ${cid} has inconsistent link sizes`);
  }
  // Our imports never exceed the balanced layout's width (settings.ts).
  if (node.Links.length > MAX_CHILDREN_PER_NODE) throw malformed(`block ${cid} has more than ${MAX_CHILDREN_PER_NODE} links`);
  return { node, unixfs };
}

async function fetchVerified(fetch: FetchBlock, cid: CID, signal: AbortSignal, isRoot: boolean): Promise<Uint8Array> {
  const bytes = await fetch(cid, { signal, isRoot });
  if (bytes.length > MAX_BLOCK_SIZE) throw blockTooLarge(cid); // a backend that forgot to stop early
  verifyBlock(cid, bytes);
  return bytes;
}

async function* walk(node: dagPb.PBNode, unixfs: UnixFS, expectedSize: bigint, depth: number, st: WalkState): AsyncGenerator<Uint8Array> {
  const { fetch, signal } = st;
  if (unixfs.fileSize() !== expectedSize) throw malformed('a node size disagrees with its parent');
  if (depth > MAX_DAG_DEPTH) throw malformed(`the DAG is deeper than ${MAX_DAG_DEPTH} levels`);
  // Refuse a repeated block before fetching anything below this node: a DAG that links
  // one leaf many times declares gigabytes from three blocks (issue: DAG bomb). Our
  // imports of ciphertext never repeat a block.
  for (const l of node.Links) {
    const key = l.Hash.multihash.bytes.toString();
    if (st.seen.has(key)) throw malformed(`block ${l.Hash} is linked more than once`);
    st.seen.add(key);
  }
  let emitted = 0n;
  if (unixfs.data !== undefined && unixfs.data.length > 0) {
    emitted += BigInt(unixfs.data.length);
    yield unixfs.data;
  }
  const links = node.Links;
  const pending: Promise<Uint8Array>[] = [];
  let next = 0;
  const fill = (): void => {
    while (pending.length < READ_AHEAD_BLOCKS && next < links.length) {
      const p = fetchVerified(fetch, links[next++]!.Hash, signal, false);
      p.catch(() => {}); // observed when awaited; avoids an unhandled rejection on early exit
      pending.push(p);
    }
  };
  for (let i = 0; i < links.length; i++) {
    fill();
    const bytes = await pending.shift()!;
    fill(); // keep the window full while the consumer works on this block
    const link = links[i]!;
    const size = unixfs.blockSizes[i]!;
    if (link.Hash.code === CODEC_RAW) {
      if (BigInt(bytes.length) !== size) throw malformed('a leaf size disagrees with its parent');
      if (bytes.length > 0) yield bytes;
    } else if (link.Hash.code === CODEC_DAG_PB) {
      const child = decodeNode(link.Hash, bytes);
      yield* walk(child.node, child.unixfs, size, depth + 1, st);
    } else {
      throw malformed(`unsupported link codec 0x${link.Hash.code.toString(16)}`);
    }
    emitted += size;
  }
  if (emitted !== expectedSize) throw malformed('the content is shorter or longer than declared');
}

function tooBig(size: bigint, max: bigint): IntegrityError {
  return new IntegrityError(`the record declares ${size} bytes, over the ${max}-byte limit`, {
    hint: 'no emr record is this large: the stored DAG is crafted (see docs/STORAGE.md § Limits)',
  });
}

/**
 * Streams the verified bytes of the file whose root is `root`, within the limits of
 * STORAGE.md § "Limits": declared size ≤ maxSize (checked at the root), no block linked
 * twice, at most MAX_DAG_DEPTH levels, MAX_CHILDREN_PER_NODE links per node and
 * MAX_BLOCK_SIZE bytes per block.
 */
export async function* readVerifiedFile(
  root: CID,
  fetch: FetchBlock,
  opts: { signal?: AbortSignal } & ReadLimits = {},
): AsyncGenerator<Uint8Array> {
  const maxSize = opts.maxSize !== undefined && opts.maxSize < MAX_FILE_SIZE ? opts.maxSize : MAX_FILE_SIZE;
  // An internal signal stops in-flight read-ahead when the consumer leaves early.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  try {
    const bytes = await fetchVerified(fetch, root, signal, true);
    if (root.code === CODEC_RAW) {
      if (BigInt(bytes.length) > maxSize) throw tooBig(BigInt(bytes.length), maxSize);
      if (bytes.length > 0) yield bytes;
      return;
    }
    if (root.code !== CODEC_DAG_PB) throw malformed(`unsupported root codec 0x${root.code.toString(16)}`);
    const { node, unixfs } = decodeNode(root, bytes);
    // Stop before the first child: a declared size over the limit is refused unread.
    if (unixfs.fileSize() > maxSize) throw tooBig(unixfs.fileSize(), maxSize);
    const st: WalkState = { seen: new Set([root.multihash.bytes.toString()]), fetch, signal };
    yield* walk(node, unixfs, unixfs.fileSize(), 1, st);
  } finally {
    stop.abort();
  }
}
