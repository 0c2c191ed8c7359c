/**
 * What a CAR import may store, judged from the roots it names (docs/STORAGE.md § CAR
 * files, "Import budget"). Threat (issue 20 § 9): a CAR of 200,000 tiny valid blocks
 * (8.7 MB) became 200,001 files and 803 MB on disk in 181 s, none of it a record.
 *
 * A record emr wrote has a shape fixed by the import settings (settings.ts): full
 * CHUNK_SIZE raw leaves but the last, and one dag-pb node per 174 children. So each root,
 * declares how much its DAG may hold: its file size gives the leaves, the leaves give the
 * nodes; and a raw block shorter than a chunk is only the last leaf of a file, at most one
 * per dag-pb root. A first pass over the file (blocks in any order: emr's export and
 * `ipfs dag export` write roots first, other packers last) counts what the CAR holds
 * against that, before anything is stored.
 */
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { IntegrityError } from '../errors.js';
import { CHUNK_SIZE, CODEC_DAG_PB, MAX_CHILDREN_PER_NODE, MAX_FILE_SIZE } from './settings.js';
import { verifyBlock } from './verify.js';

/** Room a dag-pb node of MAX_CHILDREN_PER_NODE links takes, generously (a link is ~45 bytes). */
const NODE_BYTES = 16 * 1024;

/** Blocks and bytes a file of `size` bytes takes at the fixed import settings. */
export function shapeOf(size: bigint): { blocks: number; bytes: number; nodes: number } {
  const chunk = BigInt(CHUNK_SIZE);
  const leaves = Number(size === 0n ? 1n : (size + chunk - 1n) / chunk);
  let nodes = 0;
  for (let level = leaves; level > 1; ) {
    level = Math.ceil(level / MAX_CHILDREN_PER_NODE);
    nodes += level;
  }
  nodes = Math.max(nodes, 1); // a dag-pb root of a small file is still one node
  return { blocks: leaves + nodes, bytes: Number(size) + nodes * NODE_BYTES, nodes };
}

function refuse(what: string): IntegrityError {
  return new IntegrityError(`the CAR holds ${what}`, {
    hint: 'it is not a backup emr or `ipfs dag export` wrote; nothing of it was kept',
  });
}

export class ImportBudget {
  /** What the CAR holds (first pass) and what its roots make room for. */
  readonly seen = { blocks: 0, bytes: 0, shortLeaves: 0 };
  private readonly room = { blocks: 0, bytes: 0, shortLeaves: 0 };
  private readonly pending: Set<string>;

  constructor(roots: CID[]) {
    this.pending = new Set(roots.map(String));
  }

  /** Counts one block of the first pass (any order: a root may come last). */
  count(cid: CID, data: Uint8Array): void {
    if (this.pending.delete(cid.toString())) this.open(cid, data);
    else if (cid.code !== CODEC_DAG_PB && data.length < CHUNK_SIZE) this.seen.shortLeaves++;
    this.seen.blocks++;
    this.seen.bytes += data.length;
  }

  /** After the first pass: throws IntegrityError when the CAR holds more than its roots declare. */
  check(): void {
    if (this.seen.shortLeaves > this.room.shortLeaves)
      throw refuse(`${this.seen.shortLeaves} short leaves for ${this.room.shortLeaves} file(s)`);
    if (this.seen.blocks > this.room.blocks) throw refuse(`${this.seen.blocks} blocks, more than its roots declare (${this.room.blocks})`);
    if (this.seen.bytes > this.room.bytes) throw refuse(`${this.seen.bytes} bytes, more than its roots declare (${this.room.bytes})`);
  }

  /** A root arrived: the file size it declares makes room for its DAG. */
  private open(cid: CID, data: Uint8Array): void {
    verifyBlock(cid, data);
    if (cid.code !== CODEC_DAG_PB) {
      this.room.blocks += 1;
      this.room.bytes += data.length;
      return;
    }
    let size: bigint;
    try {
      size = UnixFS.unmarshal(dagPb.decode(data).Data ?? new Uint8Array()).fileSize();
    } catch (e) {
      throw new IntegrityError(`root ${cid} of the CAR is not a UnixFS file`, { hint: 'it is not a record emr wrote', cause: e });
    }
    if (size > MAX_FILE_SIZE) throw refuse(`root ${cid}, declaring a file larger than emr reads`);
    const shape = shapeOf(size);
    this.room.blocks += shape.blocks;
    this.room.bytes += shape.bytes;
    this.room.shortLeaves += 1;
  }
}
