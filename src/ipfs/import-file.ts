/**
 * Building a record's UnixFS DAG with the fixed settings (docs/STORAGE.md § "Import
 * settings"). Both backends run this same importer locally, so one ciphertext gets one
 * CID on every backend by construction; the backend only decides where blocks go.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { CID } from 'multiformats/cid';
import { InternalError, inputFileError, UsageError } from '../errors.js';
import { isRecordCodec } from './cid.js';
import { CHUNK_SIZE, CID_VERSION, MAX_CHILDREN_PER_NODE, type RecordCodec } from './settings.js';

/** What an add returns (STORAGE.md § "Add"). */
export interface AddResult {
  /** CIDv1 string of the root. */
  cid: string;
  /** Bytes of content imported. */
  size: number;
  /** The root's 32-byte sha2-256 digest (what the chain stores). */
  digest: Uint8Array;
  /** 0x55 raw (content fits one chunk) or 0x70 dag-pb. */
  codec: RecordCodec;
}

export type AddSource = string | AsyncIterable<Uint8Array>;

/** Where the importer puts blocks; the backend supplies it. */
export interface BlockSink {
  put(cid: CID, bytes: Uint8Array, opts?: { signal?: AbortSignal }): Promise<CID>;
}

/** Blocks written concurrently: bounded so memory stays flat in file size. */
const BLOCK_WRITE_CONCURRENCY = 8;

async function* openSource(source: AddSource, counter: { bytes: number }): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    try {
      const s = await stat(source);
      if (!s.isFile()) throw new Error('not a regular file');
    } catch (e) {
      throw inputFileError(source, e, 'give the path of a readable regular file');
    }
    for await (const chunk of createReadStream(source, { highWaterMark: CHUNK_SIZE })) {
      counter.bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    return;
  }
  for await (const chunk of source) {
    if (!(chunk instanceof Uint8Array)) {
      throw new UsageError('add: the source must yield Uint8Array chunks', { hint: 'pass a file path or bytes' });
    }
    counter.bytes += chunk.length;
    yield chunk;
  }
}

/** Imports `source` into `sink` and returns the root, without pinning it. */
export async function importFile(source: AddSource, sink: BlockSink, opts: { signal?: AbortSignal } = {}): Promise<AddResult> {
  // Lazy: only adding builds a DAG; fetch and cat load this module without the importer.
  const { importer } = await import('ipfs-unixfs-importer');
  const { fixedSize } = await import('ipfs-unixfs-importer/chunker');
  const { balanced } = await import('ipfs-unixfs-importer/layout');
  const counter = { bytes: 0 };
  const storage = {
    put: async (cid: CID, bytes: Uint8Array) => {
      opts.signal?.throwIfAborted();
      return sink.put(cid, bytes, opts.signal ? { signal: opts.signal } : {});
    },
  };
  let root: CID | undefined;
  for await (const entry of importer([{ content: openSource(source, counter) }], storage, {
    cidVersion: CID_VERSION,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_CHILDREN_PER_NODE }),
    blockWriteConcurrency: BLOCK_WRITE_CONCURRENCY,
    wrapWithDirectory: false,
  })) {
    root = entry.cid;
  }
  opts.signal?.throwIfAborted();
  if (root === undefined || !isRecordCodec(root.code)) {
    throw new InternalError('the UnixFS importer produced no usable root', {
      hint: 'this is a bug in emr; please report it',
    });
  }
  return {
    cid: root.toString(),
    size: counter.bytes,
    digest: Uint8Array.from(root.multihash.digest),
    codec: root.code,
  };
}
