/**
 * CAR files (CARv1, docs/STORAGE.md § "CAR files"): the IPFS archive format, read and
 * written with `@ipld/car`. One walker serves both `emr store serve` (CAR responses) and
 * `emr record export --format car`: it visits a record's DAG depth-first, each block once,
 * verifying every block against its CID and bounding the walk, so neither a damaged store
 * nor a hostile DAG can make it loop, recurse without end or emit bytes that lie.
 */
import { asyncIterableReader, createDecoder } from '@ipld/car/decoder';
import { CarWriter } from '@ipld/car/writer';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { IntegrityError, NotFoundError } from '../errors.js';
import { ImportBudget } from './car-budget.js';
import { isRecordCodec } from './cid.js';
import { CODEC_DAG_PB, CODEC_RAW, SHA2_256 } from './settings.js';
import { verifyBlock } from './verify.js';

/** Most blocks one walk may visit: a 64 GiB record at 1 MiB leaves, with its nodes. */
export const MAX_DAG_BLOCKS = 70_000;
/** Deepest DAG walked: a balanced 174-ary tree of 64 GiB is 3 levels deep. */
export const MAX_DAG_DEPTH = 16;
/** Room in a CAR section beside the block: its CID (a CIDv1 sha2-256 is 36 bytes). */
const MAX_SECTION_OVERHEAD = 1024;

export interface Block {
  cid: CID;
  bytes: Uint8Array;
}

/** Fetches one block; `undefined` when the store does not have it. */
export type GetBlock = (cid: CID) => Promise<Uint8Array | undefined>;

/**
 * Yields every block under `root` (root first, depth-first, links in order), verified.
 * `seen` lets several walks share one de-duplication set (an export of many records).
 */
export async function* walkDag(
  root: CID,
  get: GetBlock,
  seen: Set<string> = new Set(),
  opts: { scope?: 'all' | 'block'; range?: ByteRange } = {},
): AsyncGenerator<Block> {
  // `start`: the file offset where a node's bytes begin (used only with `range`).
  const stack: Array<{ cid: CID; depth: number; start: number }> = [{ cid: root, depth: 0, start: 0 }];
  let visited = 0;
  while (stack.length > 0) {
    const { cid, depth, start } = stack.pop()!;
    const key = cid.toString();
    if (seen.has(key)) continue;
    if (++visited > MAX_DAG_BLOCKS)
      throw new IntegrityError(`the DAG under ${root} has more than ${MAX_DAG_BLOCKS} blocks`, { hint: 'it is not a record emr wrote' });
    const bytes = await get(cid);
    if (bytes === undefined) {
      throw new NotFoundError(
        cid.equals(root) ? `CID ${cid} is not in the local store` : `block ${cid} under ${root} is not in the local store`,
        {
          hint: 'the record is missing or incomplete here',
        },
      );
    }
    verifyBlock(cid, bytes);
    seen.add(key);
    yield { cid, bytes };
    if (opts.scope === 'block' || cid.code === CODEC_RAW) continue;
    if (cid.code !== CODEC_DAG_PB) continue;
    let links: CID[];
    let node: dagPb.PBNode;
    try {
      node = dagPb.decode(bytes);
      links = node.Links.map((l) => l.Hash);
    } catch (e) {
      throw new IntegrityError(`block ${cid} is not a valid dag-pb node`, { hint: 'the store holds a damaged record', cause: e });
    }
    if (links.length > 0 && depth + 1 > MAX_DAG_DEPTH)
      throw new IntegrityError(`the DAG under ${root} is deeper than ${MAX_DAG_DEPTH}`, { hint: 'it is not a record emr wrote' });
    const starts = opts.range ? childStarts(cid, node, start) : null;
    for (let i = links.length - 1; i >= 0; i--) {
      // entity-bytes (STORAGE.md § Serving a store): only children whose bytes meet the range.
      if (starts && opts.range) {
        const [from, to] = [starts[i]!, starts[i + 1]! - 1];
        if (to < opts.range.from || from > opts.range.to) continue;
      }
      stack.push({ cid: links[i]!, depth: depth + 1, start: starts ? starts[i]! : 0 });
    }
  }
}

/** An inclusive byte range of a UnixFS file, resolved against its size. */
export interface ByteRange {
  from: number;
  to: number;
}

/**
 * Where each child's bytes begin in the file (and, last, where the node's bytes end), from
 * the node's UnixFS `blocksizes`: the node's own data comes first (UnixFS spec, "Data").
 */
function childStarts(cid: CID, node: dagPb.PBNode, start: number): number[] {
  let fs: UnixFS;
  try {
    fs = UnixFS.unmarshal(node.Data ?? new Uint8Array());
  } catch (e) {
    throw new IntegrityError(`block ${cid} holds no UnixFS data`, { hint: 'the store holds a damaged record', cause: e });
  }
  if (fs.blockSizes.length !== node.Links.length)
    throw new IntegrityError(`block ${cid} has ${node.Links.length} links but ${fs.blockSizes.length} block sizes`, {
      hint: 'it is not a record emr wrote',
    });
  const out = [start + (fs.data?.length ?? 0)];
  for (const size of fs.blockSizes) out.push(out.at(-1)! + Number(size));
  return out;
}

/**
 * The size of the UnixFS file whose root block is `bytes` (dag-pb), or of a raw block;
 * null when the root is not a file (a directory: entity-bytes does not apply).
 */
export function entitySize(cid: CID, bytes: Uint8Array): number | null {
  if (cid.code === CODEC_RAW) return bytes.length;
  try {
    const fs = UnixFS.unmarshal(dagPb.decode(bytes).Data ?? new Uint8Array());
    return fs.type === 'file' || fs.type === 'raw' ? Number(fs.fileSize()) : null;
  } catch {
    return null;
  }
}

/**
 * Streams a CARv1 holding `roots` in its header and the blocks `source` yields, in order.
 * Back-pressure: the source is pulled only as fast as the consumer reads.
 */
export async function* carBytes(roots: CID[], source: AsyncIterable<Block>): AsyncGenerator<Uint8Array> {
  const { writer, out } = CarWriter.create(roots);
  let failure: unknown;
  const pump = (async () => {
    try {
      for await (const b of source) await writer.put(b);
    } catch (e) {
      failure = e;
    } finally {
      await writer.close();
    }
  })();
  for await (const chunk of out) yield chunk;
  await pump;
  if (failure !== undefined) throw failure;
}

export interface CarImportResult {
  roots: string[];
  blocks: number;
  bytes: number;
}

/**
 * Opens a CARv1 stream: the header (roots checked) and its blocks, every declared length
 * bounded before it is read, every block's codec, hash and size checked (not its bytes).
 */
async function openCar(
  source: AsyncIterable<Uint8Array>,
  maxBlockBytes: number,
): Promise<{ roots: CID[]; blocks: AsyncGenerator<{ cid: CID; bytes: Uint8Array }> }> {
  // Every read of the decoder goes through `exactly(n)`; n is a length the file declares
  // (the header's, a section's). Refused above the bound before a byte of it is buffered:
  // `@ipld/car` gathers a whole declared section in memory first, so a CAR declaring a
  // 256 MiB block peaked at 600 MB of RSS before its size was looked at (STORAGE.md § CAR files).
  const maxSection = maxBlockBytes + MAX_SECTION_OVERHEAD;
  const inner = asyncIterableReader(source);
  const bounded: typeof inner = {
    upTo: (n) => inner.upTo(n),
    exactly: (n, seek) => {
      if (n > maxSection) {
        return Promise.reject(
          new IntegrityError(`the CAR declares a section of ${n} bytes, more than a block emr stores`, {
            hint: 'it is not a record emr wrote; nothing of it was read',
          }),
        );
      }
      return inner.exactly(n, seek);
    },
    seek: (n) => inner.seek(n),
    get pos() {
      return inner.pos;
    },
  };
  const decoder = createDecoder(bounded);
  let header: Awaited<ReturnType<typeof decoder.header>>;
  try {
    header = await decoder.header();
  } catch (e) {
    if (e instanceof IntegrityError) throw e;
    throw new IntegrityError('not a CAR file (bad header)', {
      hint: 'give a CARv1 made by `emr record export --format car` or `ipfs dag export`',
      cause: e,
    });
  }
  const roots = header.roots.map((r) => r.toV1());
  // Checked before any block is stored: a root that could never be pinned would otherwise
  // fail the run after the roots before it were pinned (STORAGE.md § CAR files).
  for (const r of roots) {
    if (!isRecordCodec(r.code) || r.multihash.code !== SHA2_256) {
      throw new IntegrityError(`the CAR names root ${r}, with a codec or hash emr does not store`, {
        hint: 'only sha2-256 raw/dag-pb roots are accepted; nothing was imported',
      });
    }
  }
  async function* blocks(): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
    try {
      for await (const { cid, bytes } of decoder.blocks()) {
        if (!isRecordCodec(cid.code) || cid.multihash.code !== SHA2_256) {
          throw new IntegrityError(`the CAR holds block ${cid} with a codec or hash emr does not store`, {
            hint: 'only sha2-256 raw/dag-pb blocks are accepted',
          });
        }
        if (bytes.length > maxBlockBytes)
          throw new IntegrityError(`the CAR holds an oversized block ${cid}`, { hint: 'it is not a record emr wrote' });
        yield { cid: cid.toV1(), bytes };
      }
    } catch (e) {
      if (e instanceof IntegrityError || (e as { code?: string })?.code !== undefined) throw e;
      throw new IntegrityError('the CAR file is truncated or malformed', {
        hint: 'the file is damaged; use another copy of the backup',
        cause: e,
      });
    }
  }
  return { roots, blocks: blocks() };
}

/**
 * Reads a CARv1 and stores every block in `put`, each verified against its CID first
 * (STORAGE.md § "CAR files"): only sha2-256 raw/dag-pb blocks of at most `maxBlockBytes`
 * are accepted; anything else fails the import with IntegrityError. With `budget`, a first
 * pass over a second stream of the same file counts the blocks against what the roots
 * declare (car-budget.ts) before anything is stored, and the second pass may not hold
 * more. The roots are returned unpinned: the caller pins them once every block is in.
 */
export async function readCar(
  open: () => AsyncIterable<Uint8Array>,
  put: (b: Block) => Promise<void>,
  opts: { maxBlockBytes: number; maxBlocks?: number; budget?: boolean },
): Promise<CarImportResult> {
  let limit: { blocks: number; bytes: number } | undefined;
  if (opts.budget) {
    const first = await openCar(open(), opts.maxBlockBytes);
    const budget = new ImportBudget(first.roots);
    for await (const b of first.blocks) budget.count(b.cid, b.bytes);
    budget.check();
    limit = { blocks: budget.seen.blocks, bytes: budget.seen.bytes };
  }
  const car = await openCar(open(), opts.maxBlockBytes);
  let blocks = 0;
  let bytes = 0;
  for await (const { cid, bytes: data } of car.blocks) {
    if (opts.maxBlocks !== undefined && blocks >= opts.maxBlocks)
      throw new IntegrityError(`the CAR holds more than ${opts.maxBlocks} blocks`, { hint: 'split the import' });
    if (limit && (blocks + 1 > limit.blocks || bytes + data.length > limit.bytes))
      throw new IntegrityError('the CAR changed while it was read', { hint: 'import a copy that nothing writes to' });
    verifyBlock(cid, data);
    await put({ cid, bytes: data });
    blocks++;
    bytes += data.length;
  }
  return { roots: car.roots.map(String), blocks, bytes };
}
