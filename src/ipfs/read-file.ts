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
import { CODEC_DAG_PB, CODEC_RAW, READ_AHEAD_BLOCKS } from './settings.js';
import { verifyBlock } from './verify.js';

/** A backend's raw block access. `isRoot` lets it tell "unknown CID" from "damaged DAG". */
export type FetchBlock = (cid: CID, opts: { signal: AbortSignal; isRoot: boolean }) => Promise<Uint8Array>;

const HINT = 'the stored record is damaged or was tampered with';

function malformed(what: string, cause?: unknown): IntegrityError {
  return new IntegrityError(`not a valid UnixFS file: ${what}`, { hint: HINT, cause });
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
  return { node, unixfs };
}

async function fetchVerified(fetch: FetchBlock, cid: CID, signal: AbortSignal, isRoot: boolean): Promise<Uint8Array> {
  const bytes = await fetch(cid, { signal, isRoot });
  verifyBlock(cid, bytes);
  return bytes;
}

async function* walk(
  node: dagPb.PBNode,
  unixfs: UnixFS,
  expectedSize: bigint,
  fetch: FetchBlock,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (unixfs.fileSize() !== expectedSize) throw malformed('a node size disagrees with its parent');
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
      yield* walk(child.node, child.unixfs, size, fetch, signal);
    } else {
      throw malformed(`unsupported link codec 0x${link.Hash.code.toString(16)}`);
    }
    emitted += size;
  }
  if (emitted !== expectedSize) throw malformed('the content is shorter or longer than declared');
}

/** Streams the verified bytes of the file whose root is `root`. */
export async function* readVerifiedFile(
  root: CID,
  fetch: FetchBlock,
  opts: { signal?: AbortSignal } = {},
): AsyncGenerator<Uint8Array> {
  // An internal signal stops in-flight read-ahead when the consumer leaves early.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  try {
    const bytes = await fetchVerified(fetch, root, signal, true);
    if (root.code === CODEC_RAW) {
      if (bytes.length > 0) yield bytes;
      return;
    }
    if (root.code !== CODEC_DAG_PB) throw malformed(`unsupported root codec 0x${root.code.toString(16)}`);
    const { node, unixfs } = decodeNode(root, bytes);
    yield* walk(node, unixfs, unixfs.fileSize(), fetch, signal);
  } finally {
    stop.abort();
  }
}
