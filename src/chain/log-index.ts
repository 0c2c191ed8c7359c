/**
 * The local index of this contract's events (CONTRACT.md § Log index): every log of the
 * contract from its first block to the last indexed block, with that block's hash, and the
 * times of the blocks readers asked for. A warm read asks the chain only for blocks after
 * the indexed head; the head's hash is checked against the chain first, and a head that is
 * no longer canonical (a reorg, or another chain behind the same URL) throws the index away.
 *
 * The index only spares requests: whatever it holds is public chain data that `queryEvents`
 * decodes and filters again, and no access decision (canRead, grantOf) is ever read from it.
 * Its bytes come from a file another process could have replaced, so `parseIndex` checks
 * every field and bound, and anything that does not pass is not an index.
 */
import type { Log } from 'ethers';

/** Where the index's bytes are kept between runs (the session seals them to the profile). */
export interface LogIndexStore {
  /** The bytes saved last, or null (none, not this profile's, not authentic, damaged). */
  load(): Promise<Uint8Array | null>;
  save(bytes: Uint8Array): Promise<void>;
  /** Removes the saved index (an index past its bounds is not kept). */
  drop(): Promise<void>;
}

/** What the index needs from the chain (logs.ts passes the windowed reader). */
export interface LogSource {
  /** The canonical block at `tag` (a number or 'latest'), null when the chain has none. */
  block(tag: number | 'latest'): Promise<{ number: number; hash: string } | null>;
  /** Every log of the contract in [from, to] (no topic filter). */
  logs(from: number, to: number): Promise<readonly Log[]>;
}

/** One log to index: block, index in block, transaction, data, topics (lower-case hex). */
export type IndexedLog = readonly [number, number, string, string, readonly string[]];

/** A log as `decodeEvent` reads it, with where it was logged. */
export interface PlainLog {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: number;
  index: number;
  transactionHash: string;
}

/**
 * Bounds (CONTRACT.md § Log index): a contract with more events, or an index file larger
 * than this, is not indexed (read live, as without an index).
 */
export const MAX_INDEX_LOGS = 250_000;
export const MAX_INDEX_TIMES = 250_000;
export const MAX_INDEX_BYTES = 96 * 1024 * 1024;
/** A log's data in bytes (the contract's largest event is far below this). */
const MAX_DATA_BYTES = 16_384;
/** Block numbers, indexes and times are stored in 6 bytes (2^48: far past any chain's). */
const MAX_U48 = 2 ** 48 - 1;

/**
 * A run that found only empty blocks after the saved head saves nothing until the head is
 * this far ahead: the next run asks the same one window again instead (§ Log index).
 */
const SAVE_AFTER_BLOCKS = 1_000;

/**
 * The document (CONTRACT.md § Log index, "Encoding"), all integers big-endian:
 *   MAGIC (16 bytes) | scope length u16 | scope (UTF-8) | head u48 | head hash (32)
 *   | topic count u32 | topics (32 bytes each: every distinct topic once)
 *   | log count u32 | logs | time count u32 | times (block u48, unix seconds u48)
 * and each log: block u48 | index u32 | transaction hash (32) | topic count u8 (1..4)
 *   | topic numbers u32 each (into the topics) | data length u32 | data.
 * Binary and deduplicated (a patient's or author's address is stored once, not in every
 * log): a warm run reads a third of the bytes JSON took and parses no text; a log's hex
 * strings are made only for the logs a query matches (issue 26 § 3).
 */
const MAGIC = Buffer.from('emr/log-index/2\n', 'latin1');

/** A parsed, checked document: its bytes and where each part is. */
interface IndexDoc {
  buf: Buffer;
  head: number;
  headHash: string;
  /** Offset of the topic table, and its size in entries. */
  topicsAt: number;
  topicCount: number;
  /** The logs' bytes [logsAt, logsEnd) and their count. */
  logsAt: number;
  logsEnd: number;
  /** Per log: block, offset of its record. */
  blocks: Float64Array;
  offsets: Uint32Array;
  times: [number, number][];
}

const isBlock = (n: unknown, min: number, max: number): n is number =>
  Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;

/** Reads the document's integers, refusing any read past the end. */
class Cursor {
  at = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number): number {
    const at = this.at;
    if (n < 0 || at + n > this.buf.length) throw new RangeError('index: truncated');
    this.at += n;
    return at;
  }
  u8(): number {
    return this.buf[this.need(1)]!;
  }
  u16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  u32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  u48(): number {
    return this.buf.readUIntBE(this.need(6), 6);
  }
}

/**
 * The index document in `bytes`, or null when it is not one for `scope` within bounds:
 * another format or version, another scope, a head or log outside [fromBlock, head], logs
 * out of chain order, a topic number outside the table, a length past the end, bytes left
 * over, too many entries.
 */
export function parseIndex(bytes: Uint8Array, scope: string, fromBlock: number): IndexDoc | null {
  if (bytes.length > MAX_INDEX_BYTES) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    const c = new Cursor(buf);
    if (!buf.subarray(c.need(MAGIC.length), c.at).equals(MAGIC)) return null;
    const scopeLen = c.u16();
    if (buf.toString('utf8', c.need(scopeLen), c.at) !== scope) return null;
    const head = c.u48();
    if (!isBlock(head, fromBlock - 1, MAX_U48)) return null;
    const headHash = '0x' + buf.toString('hex', c.need(32), c.at);
    const topicCount = c.u32();
    if (topicCount > 4 * MAX_INDEX_LOGS) return null;
    const topicsAt = c.need(32 * topicCount);
    const logCount = c.u32();
    if (logCount > MAX_INDEX_LOGS) return null;
    const logsAt = c.at;
    const blocks = new Float64Array(logCount);
    const offsets = new Uint32Array(logCount);
    let prevBlock = -1;
    let prevIndex = -1;
    for (let i = 0; i < logCount; i++) {
      offsets[i] = c.at;
      const block = c.u48();
      const index = c.u32();
      if (!isBlock(block, fromBlock, head)) return null;
      if (block < prevBlock || (block === prevBlock && index <= prevIndex)) return null;
      c.need(32);
      const n = c.u8();
      if (n < 1 || n > 4) return null;
      for (let k = 0; k < n; k++) if (c.u32() >= topicCount) return null;
      const len = c.u32();
      if (len > MAX_DATA_BYTES) return null;
      c.need(len);
      blocks[i] = block;
      prevBlock = block;
      prevIndex = index;
    }
    const logsEnd = c.at;
    const timeCount = c.u32();
    if (timeCount > MAX_INDEX_TIMES) return null;
    const times: [number, number][] = new Array(timeCount);
    for (let i = 0; i < timeCount; i++) {
      const b = c.u48();
      if (b > head) return null;
      times[i] = [b, c.u48()];
    }
    if (c.at !== buf.length) return null;
    return { buf, head, headHash, topicsAt, topicCount, logsAt, logsEnd, blocks, offsets, times };
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** The topics of `doc` as lower-case hex → topic number (built when a query or a sync needs it). */
function topicNumbers(doc: IndexDoc): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < doc.topicCount; i++) {
    const at = doc.topicsAt + 32 * i;
    m.set('0x' + doc.buf.toString('hex', at, at + 32), i);
  }
  return m;
}

/**
 * A document: `base`'s topics and logs (copied as they are) followed by `added` (in chain
 * order, after base's), with `head` and `times`. Throws a RangeError past the u48 bounds.
 */
export function encodeIndex(
  scope: string,
  head: number,
  headHash: string,
  added: readonly IndexedLog[],
  times: Iterable<readonly [number, number]>,
  base?: IndexDoc,
  baseTopics?: Map<string, number>,
): Buffer {
  const u48 = (n: number) => {
    if (!isBlock(n, 0, MAX_U48)) throw new RangeError('index: value past 2^48');
    const b = Buffer.alloc(6);
    b.writeUIntBE(n, 0, 6);
    return b;
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const topics = baseTopics ?? (base ? topicNumbers(base) : new Map<string, number>());
  const baseCount = base ? base.topicCount : 0;
  const newTopics: string[] = [];
  const records: Buffer[] = [];
  for (const [block, index, tx, data, ts] of added) {
    const refs = ts.map((t) => {
      let r = topics.get(t);
      if (r === undefined) {
        r = baseCount + newTopics.length;
        topics.set(t, r);
        newTopics.push(t);
      }
      return r;
    });
    const d = Buffer.from(data.slice(2), 'hex');
    records.push(u48(block), u32(index), Buffer.from(tx.slice(2), 'hex'), Buffer.from([ts.length]), ...refs.map(u32), u32(d.length), d);
  }
  const timeList = [...times];
  const scopeBytes = Buffer.from(scope, 'utf8');
  const scopeLen = Buffer.alloc(2);
  scopeLen.writeUInt16BE(scopeBytes.length, 0);
  const parts: Buffer[] = [
    MAGIC,
    scopeLen,
    scopeBytes,
    u48(head),
    Buffer.from(headHash.slice(2), 'hex'),
    u32(baseCount + newTopics.length),
    ...(base ? [base.buf.subarray(base.topicsAt, base.topicsAt + 32 * base.topicCount)] : []),
    ...newTopics.map((t) => Buffer.from(t.slice(2), 'hex')),
    u32((base ? base.offsets.length : 0) + added.length),
    ...(base ? [base.buf.subarray(base.logsAt, base.logsEnd)] : []),
    ...records,
    u32(timeList.length),
    ...timeList.flatMap(([b, t]) => [u48(b), u48(t)]),
  ];
  return Buffer.concat(parts);
}

/**
 * One index per command run and contract (kept on the EmrChain). Reads are served from
 * memory after `sync`; concurrent queries of one run share one sync.
 */
export class LogIndex {
  private doc: IndexDoc | null = null;
  /** doc's topics by hex, built at first need (a query or a sync with new logs). */
  private topicMap: Map<string, number> | null = null;
  private loaded = false;
  /** The head was checked against the chain (or written from it) in this run. */
  private verified = false;
  private syncing: Promise<void> | null = null;
  private times = new Map<number, number>();
  private timesDirty = false;
  /** The head of the saved file (-1: none); see SAVE_AFTER_BLOCKS. */
  private savedHead = -1;
  /** Past its bounds in this run: served from memory, never saved. */
  private unbounded = false;

  constructor(
    private readonly store: LogIndexStore | null,
    private readonly scope: string,
    private readonly fromBlock: number,
  ) {}

  /** The indexed head after the last sync (-1 before any). */
  get head(): number {
    return this.doc ? this.doc.head : -1;
  }

  /** Brings the index up to the chain's head (one sync at a time). */
  sync(source: LogSource): Promise<void> {
    this.syncing ??= this.doSync(source).finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private setDoc(doc: IndexDoc | null): void {
    this.doc = doc;
    this.topicMap = null;
  }

  private async doSync(source: LogSource): Promise<void> {
    // Past the bounds earlier in this run: no index, every read is live (§ Log index).
    if (this.unbounded) return;
    if (!this.loaded) {
      this.loaded = true;
      const bytes = this.store ? await this.store.load() : null;
      this.setDoc(bytes ? parseIndex(bytes, this.scope, this.fromBlock) : null);
      if (this.doc) for (const [b, t] of this.doc.times) this.times.set(b, t);
      if (this.doc) this.savedHead = this.doc.head;
    }
    const doc = this.doc;
    const [latest, stored] = await Promise.all([
      source.block('latest'),
      doc && !this.verified ? source.block(doc.head) : Promise.resolve(undefined),
    ]);
    if (!latest) throw new RangeError('the endpoint has no latest block');
    // A head that is no longer the chain's block at that height (or a chain now shorter):
    // the events after the fork point may be gone or different, so start again (§ Log index).
    const headGone =
      doc &&
      (latest.number < doc.head ||
        (stored !== undefined && stored?.hash.toLowerCase() !== doc.headHash) ||
        (latest.number === doc.head && latest.hash.toLowerCase() !== doc.headHash));
    if (headGone) {
      this.setDoc(null);
      this.times.clear();
      this.savedHead = -1;
    }
    this.verified = true;
    const baseHead = this.doc ? this.doc.head : this.fromBlock - 1;
    // Nothing after the head (or a chain not yet at the first block: nothing to index).
    if (latest.number <= baseHead) return;
    const start = baseHead + 1;
    const fresh = await source.logs(start, latest.number);
    const added: IndexedLog[] = [];
    for (const l of fresh) {
      if (l.removed || !isBlock(l.blockNumber, start, latest.number)) continue;
      // A log in the head block from another fork than the head read above: do not index it.
      // This run reads live instead, and the next sync starts again.
      if (l.blockNumber === latest.number && l.blockHash && l.blockHash.toLowerCase() !== latest.hash.toLowerCase()) {
        this.setDoc(null);
        return;
      }
      added.push([l.blockNumber, l.index, l.transactionHash.toLowerCase(), l.data.toLowerCase(), l.topics.map((t) => t.toLowerCase())]);
    }
    added.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const base = this.doc ?? undefined;
    this.setDoc(this.build(latest.number, latest.hash.toLowerCase(), added, base));
    if (!this.doc) {
      // Past the bounds: not kept, and a saved file is not read again by later runs.
      await this.store?.drop();
      return;
    }
    // Only empty blocks since the saved head: nothing to keep but a later head, so the file is
    // left as it is until the next event or SAVE_AFTER_BLOCKS (a save rewrites the whole file).
    if (added.length > 0 || this.savedHead < 0 || latest.number - this.savedHead >= SAVE_AFTER_BLOCKS) await this.save();
  }

  /**
   * The document of `base` plus `added` up to `head`, parsed back (the same checks as a file
   * read). Past the bounds of the encoding or of § Log index, the index is not kept: null,
   * and this run reads live.
   */
  private build(head: number, headHash: string, added: IndexedLog[], base: IndexDoc | undefined): IndexDoc | null {
    if ((base ? base.offsets.length : 0) + added.length > MAX_INDEX_LOGS) return this.tooBig();
    let bytes: Buffer;
    try {
      for (const [, , , data, topics] of added)
        if (data.length > 2 + 2 * MAX_DATA_BYTES || topics.length < 1 || topics.length > 4) return this.tooBig();
      bytes = encodeIndex(this.scope, head, headHash, added, [], base, base && this.topicMap ? this.topicMap : undefined);
    } catch (e) {
      if (e instanceof RangeError) return this.tooBig();
      throw e;
    }
    if (bytes.length > MAX_INDEX_BYTES) return this.tooBig();
    return parseIndex(bytes, this.scope, this.fromBlock) ?? this.tooBig();
  }

  private tooBig(): null {
    this.unbounded = true;
    return null;
  }

  /** Whether [from, to] is inside what the index holds. */
  covers(from: number, to: number): boolean {
    return !!this.doc && from >= this.fromBlock && to <= this.doc.head;
  }

  /** The indexed logs in [from, to] whose topics match `topics` (null: any; array: any of). */
  logs(address: string, from: number, to: number, topics: readonly (string | readonly string[] | null)[]): PlainLog[] {
    const out: PlainLog[] = [];
    const doc = this.doc;
    if (!doc) return out;
    this.topicMap ??= topicNumbers(doc);
    const map = this.topicMap;
    // Each position's wanted topics as topic numbers; a value the index never saw matches nothing.
    const want = topics.map((t) =>
      t === null ? null : new Set((Array.isArray(t) ? t : [t]).map((x: string) => map.get(x.toLowerCase()) ?? -1)),
    );
    const { buf, blocks, offsets } = doc;
    const hexOfTopic = (n: number) => '0x' + buf.toString('hex', doc.topicsAt + 32 * n, doc.topicsAt + 32 * n + 32);
    for (let i = 0; i < offsets.length; i++) {
      const block = blocks[i]!;
      if (block < from) continue;
      if (block > to) break;
      const at = offsets[i]!;
      const n = buf[at + 42]!;
      let match = true;
      for (let k = 0; k < want.length && match; k++) {
        const w = want[k];
        if (w && !(k < n && w.has(buf.readUInt32BE(at + 43 + 4 * k)))) match = false;
      }
      if (!match) continue;
      const ts: string[] = [];
      for (let k = 0; k < n; k++) ts.push(hexOfTopic(buf.readUInt32BE(at + 43 + 4 * k)));
      const dataAt = at + 43 + 4 * n;
      const len = buf.readUInt32BE(dataAt);
      out.push({
        address,
        topics: ts,
        data: '0x' + buf.toString('hex', dataAt + 4, dataAt + 4 + len),
        blockNumber: block,
        index: buf.readUInt32BE(at + 6),
        transactionHash: '0x' + buf.toString('hex', at + 10, at + 42),
      });
    }
    return out;
  }

  time(block: number): number | undefined {
    return this.times.get(block);
  }

  putTime(block: number, time: number): void {
    if (this.doc && block <= this.doc.head && !this.times.has(block)) {
      this.times.set(block, time);
      this.timesDirty = true;
    }
  }

  /** Saves block times learnt since the last save. */
  async flush(): Promise<void> {
    if (this.timesDirty) await this.save();
  }

  private async save(): Promise<void> {
    this.timesDirty = false;
    const doc = this.doc;
    if (!this.store || !doc || this.unbounded) return;
    const times = [...this.times].filter(([b, t]) => b <= doc.head && isBlock(t, 0, MAX_U48));
    let bytes: Buffer | null = null;
    if (times.length <= MAX_INDEX_TIMES) {
      // The logs as they are, with today's times: the document is rebuilt around doc's bytes.
      const withTimes = encodeIndex(this.scope, doc.head, doc.headHash, [], times, doc, this.topicMap ?? undefined);
      if (withTimes.length <= MAX_INDEX_BYTES) bytes = withTimes;
    }
    if (!bytes) {
      this.unbounded = true;
      await this.store.drop();
      return;
    }
    await this.store.save(bytes);
    this.savedHead = doc.head;
  }
}
