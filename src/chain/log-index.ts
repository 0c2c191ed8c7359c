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

/** One indexed log: block, index in block, transaction, data, topics. */
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
/** A log's data, in hex characters (the contract's largest event is far below this). */
const MAX_DATA_HEX = 2 + 2 * 16_384;

/**
 * A run that found only empty blocks after the saved head saves nothing until the head is
 * this far ahead: the next run asks the same one window again instead (§ Log index).
 */
const SAVE_AFTER_BLOCKS = 1_000;

const HASH = /^0x[0-9a-f]{64}$/;
const DATA = /^0x(?:[0-9a-f]{2})*$/;

interface IndexDoc {
  v: 1;
  scope: string;
  head: number;
  headHash: string;
  logs: IndexedLog[];
  times: [number, number][];
}

const isBlock = (n: unknown, min: number, max: number): n is number =>
  Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;

/**
 * The index document in `bytes`, or null when it is not one for `scope` within bounds:
 * wrong version or scope, a head or log outside [fromBlock, head], logs out of chain order,
 * a malformed hash, topic or data, too many entries.
 */
export function parseIndex(bytes: Uint8Array, scope: string, fromBlock: number): IndexDoc | null {
  if (bytes.length > MAX_INDEX_BYTES) return null;
  let d: IndexDoc;
  try {
    d = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as IndexDoc;
  } catch {
    return null;
  }
  if (!d || typeof d !== 'object' || d.v !== 1 || d.scope !== scope) return null;
  if (!isBlock(d.head, fromBlock - 1, Number.MAX_SAFE_INTEGER) || typeof d.headHash !== 'string' || !HASH.test(d.headHash)) return null;
  if (!Array.isArray(d.logs) || d.logs.length > MAX_INDEX_LOGS || !Array.isArray(d.times) || d.times.length > MAX_INDEX_TIMES) return null;
  let prevBlock = -1;
  let prevIndex = -1;
  for (const l of d.logs) {
    if (!Array.isArray(l) || l.length !== 5) return null;
    const [block, index, tx, data, topics] = l;
    if (!isBlock(block, fromBlock, d.head) || !isBlock(index, 0, 0xffffffff)) return null;
    if (block < prevBlock || (block === prevBlock && index <= prevIndex)) return null;
    if (typeof tx !== 'string' || !HASH.test(tx) || typeof data !== 'string' || data.length > MAX_DATA_HEX || !DATA.test(data)) return null;
    if (!Array.isArray(topics) || topics.length < 1 || topics.length > 4) return null;
    for (const t of topics) if (typeof t !== 'string' || !HASH.test(t)) return null;
    prevBlock = block;
    prevIndex = index;
  }
  for (const t of d.times) {
    if (!Array.isArray(t) || t.length !== 2 || !isBlock(t[0], 0, d.head) || !isBlock(t[1], 0, Number.MAX_SAFE_INTEGER)) return null;
  }
  return d;
}

/**
 * One index per command run and contract (kept on the EmrChain). Reads are served from
 * memory after `sync`; concurrent queries of one run share one sync.
 */
export class LogIndex {
  private doc: IndexDoc | null = null;
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

  private async doSync(source: LogSource): Promise<void> {
    if (!this.loaded) {
      this.loaded = true;
      const bytes = this.store ? await this.store.load() : null;
      this.doc = bytes ? parseIndex(bytes, this.scope, this.fromBlock) : null;
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
      this.doc = null;
      this.times.clear();
      this.savedHead = -1;
    }
    const base: IndexDoc = this.doc ?? {
      v: 1,
      scope: this.scope,
      head: this.fromBlock - 1,
      headHash: '0x' + '0'.repeat(64),
      logs: [],
      times: [],
    };
    this.verified = true;
    if (latest.number <= base.head) {
      this.doc = base;
      return;
    }
    const start = base.head + 1;
    const fresh = await source.logs(start, latest.number);
    const added: IndexedLog[] = [];
    for (const l of fresh) {
      if (l.removed || !isBlock(l.blockNumber, start, latest.number)) continue;
      // A log in the head block from another fork than the head read above: do not index it.
      // This run reads live instead, and the next sync starts again.
      if (l.blockNumber === latest.number && l.blockHash && l.blockHash.toLowerCase() !== latest.hash.toLowerCase()) {
        this.doc = null;
        return;
      }
      added.push([l.blockNumber, l.index, l.transactionHash.toLowerCase(), l.data.toLowerCase(), l.topics.map((t) => t.toLowerCase())]);
    }
    added.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.doc = { ...base, head: latest.number, headHash: latest.hash.toLowerCase(), logs: base.logs.concat(added) };
    // Only empty blocks since the saved head: nothing to keep but a later head, so the file is
    // left as it is until the next event or SAVE_AFTER_BLOCKS (a save rewrites the whole file).
    if (added.length > 0 || this.savedHead < 0 || latest.number - this.savedHead >= SAVE_AFTER_BLOCKS) await this.save();
  }

  /** Whether [from, to] is inside what the index holds. */
  covers(from: number, to: number): boolean {
    return !!this.doc && from >= this.fromBlock && to <= this.doc.head;
  }

  /** The indexed logs in [from, to] whose topics match `topics` (null: any; array: any of). */
  logs(address: string, from: number, to: number, topics: readonly (string | readonly string[] | null)[]): PlainLog[] {
    const out: PlainLog[] = [];
    if (!this.doc) return out;
    const want = topics.map((t) => (t === null ? null : new Set((Array.isArray(t) ? t : [t]).map((x: string) => x.toLowerCase()))));
    for (const [block, index, tx, data, ts] of this.doc.logs) {
      if (block < from || block > to) continue;
      let match = true;
      for (let i = 0; i < want.length && match; i++) {
        const w = want[i];
        if (w && !(i < ts.length && w.has(ts[i]!))) match = false;
      }
      if (match) out.push({ address, topics: ts, data, blockNumber: block, index, transactionHash: tx });
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
    if (!this.store || !this.doc || this.unbounded) return;
    if (this.doc.logs.length > MAX_INDEX_LOGS || this.times.size > MAX_INDEX_TIMES) {
      this.unbounded = true;
      await this.store.drop();
      return;
    }
    const times = [...this.times].filter(([b]) => b <= this.doc!.head);
    const bytes = Buffer.from(JSON.stringify({ ...this.doc, times }), 'utf8');
    if (bytes.length > MAX_INDEX_BYTES) {
      this.unbounded = true;
      await this.store.drop();
      return;
    }
    await this.store.save(bytes);
    this.savedHead = this.doc.head;
  }
}
