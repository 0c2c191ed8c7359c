/**
 * The log index's document (CONTRACT.md § Log index, "Encoding"): what `encodeIndex` writes
 * `parseIndex` reads back, and a document another process could have written is checked
 * whole — truncated anywhere, bytes left over, another scope, a log outside [first block,
 * head] or out of chain order, a topic number outside the table, a topic count or data
 * length out of bounds, a time after the head, corrupted bytes: not an index (null), never
 * a throw and never an allocation sized by the file.
 */
import { describe, expect, it } from 'vitest';
import { encodeIndex, type IndexedLog, LogIndex, type LogSource, parseIndex } from '../../src/chain/log-index.js';

const SCOPE = '31337:0x5fbdb2315678afecb367f032d93f642f64180aa3:10:0123456789abcdef';
const FROM = 10;
const h = (n: number) => '0x' + n.toString(16).padStart(64, '0');
const LOGS: IndexedLog[] = [
  [10, 0, h(0xa1), '0x', [h(1)]],
  [10, 3, h(0xa1), '0x' + '00'.repeat(31) + '07', [h(1), h(2), h(3), h(4)]],
  [12, 1, h(0xa2), '0x' + 'ff'.repeat(96), [h(5), h(2)]],
  [40, 0, h(0xa3), '0x' + 'ab'.repeat(300), [h(1), h(2), h(6)]],
];
const doc = () =>
  encodeIndex(SCOPE, 50, h(0xbeef), LOGS, [
    [12, 1_700_000_000],
    [40, 1_700_000_100],
  ]);

/** Offsets into doc(): where each part starts (the layout of § Log index, "Encoding"). */
function layout(buf: Buffer) {
  let at = 16;
  const scopeLen = buf.readUInt16BE(at);
  at += 2 + scopeLen;
  const headAt = at;
  at += 6 + 32;
  const topicCount = buf.readUInt32BE(at);
  const topicCountAt = at;
  at += 4 + 32 * topicCount;
  const logCountAt = at;
  at += 4;
  const logs: number[] = [];
  for (let i = 0; i < buf.readUInt32BE(logCountAt); i++) {
    logs.push(at);
    const n = buf[at + 42]!;
    at += 43 + 4 * n;
    at += 4 + buf.readUInt32BE(at);
  }
  return { headAt, topicCountAt, logCountAt, logs, timesAt: at };
}

describe('log index document (CONTRACT.md § Log index, "Encoding")', () => {
  it('MUST read back what it wrote: every log, topic, data, time', async () => {
    const parsed = parseIndex(doc(), SCOPE, FROM);
    expect(parsed).not.toBeNull();
    expect(parsed!.head).toBe(50);
    expect(parsed!.times).toEqual([
      [12, 1_700_000_000],
      [40, 1_700_000_100],
    ]);
    // Through the index's own query: served from the saved bytes, no log asked of the source.
    const saved = doc();
    const store = { load: async () => saved, save: async () => {}, drop: async () => {} };
    const source: LogSource = {
      block: async (tag) => ({ number: 50, hash: tag === 'latest' || tag === 50 ? h(0xbeef) : h(0) }),
      logs: async () => {
        throw new Error('a warm index asks for no logs');
      },
    };
    const index = new LogIndex(store, SCOPE, FROM);
    await index.sync(source);
    const all = index.logs('0xc0ffee', FROM, 50, []);
    expect(all.map((l) => [l.blockNumber, l.index, l.transactionHash, l.data, l.topics])).toEqual(LOGS);
    expect(index.logs('0xc0ffee', FROM, 50, [null, h(2)]).map((l) => l.index)).toEqual([3, 1, 0]);
    expect(index.logs('0xc0ffee', FROM, 50, [[h(3), h(4)]]).length).toBe(0);
    expect(index.logs('0xc0ffee', FROM, 50, [[h(5), h(4)]]).map((l) => l.blockNumber)).toEqual([12]);
    expect(index.logs('0xc0ffee', 11, 39, [h(5)]).map((l) => l.blockNumber)).toEqual([12]);
    expect(index.logs('0xc0ffee', FROM, 50, [h(999)])).toEqual([]);
    expect(index.time(40)).toBe(1_700_000_100);
  });

  it('MUST store each distinct topic once (a patient in 500 logs is 32 bytes, not 500 × 32)', () => {
    const many: IndexedLog[] = Array.from({ length: 500 }, (_, i) => [FROM + i, 0, h(i), '0x', [h(1), h(2), h(3)]]);
    const one: IndexedLog[] = [[FROM, 0, h(0), '0x', [h(1), h(2), h(3)]]];
    const size = (l: IndexedLog[]) => encodeIndex(SCOPE, FROM + 500, h(9), l, []).length;
    expect(size(many) - size(one)).toBe(499 * (6 + 4 + 32 + 1 + 3 * 4 + 4));
  });

  it('MUST NOT read a truncated document, one with bytes left over, or another scope', () => {
    const d = doc();
    for (let n = 0; n < d.length; n++) expect(parseIndex(d.subarray(0, n), SCOPE, FROM), `${n} bytes`).toBeNull();
    expect(parseIndex(Buffer.concat([d, Buffer.from([0])]), SCOPE, FROM)).toBeNull();
    expect(parseIndex(d, SCOPE.replace(':10:', ':11:'), FROM)).toBeNull();
    expect(parseIndex(Buffer.from(JSON.stringify({ v: 1, scope: SCOPE, head: 50, logs: [], times: [] })), SCOPE, FROM)).toBeNull();
  });

  it('MUST NOT read logs outside [first block, head], out of chain order, with a topic number outside the table, or bad counts', () => {
    const d = doc();
    const L = layout(d);
    const edit = (f: (b: Buffer) => void) => {
      const b = Buffer.from(d);
      f(b);
      return parseIndex(b, SCOPE, FROM);
    };
    expect(edit(() => {})).not.toBeNull();
    // A head before the first block's predecessor.
    expect(edit((b) => b.writeUIntBE(FROM - 2, L.headAt, 6))).toBeNull();
    // A log before the first block, after the head.
    expect(edit((b) => b.writeUIntBE(FROM - 1, L.logs[0]!, 6))).toBeNull();
    expect(edit((b) => b.writeUIntBE(51, L.logs[3]!, 6))).toBeNull();
    // Out of order: a later log at an earlier block; the same (block, index) twice.
    expect(edit((b) => b.writeUIntBE(11, L.logs[3]!, 6))).toBeNull();
    expect(edit((b) => b.writeUInt32BE(0, L.logs[1]! + 6))).toBeNull();
    // A topic number past the table; a topic count of 0 and of 5.
    const topics = d.readUInt32BE(L.topicCountAt);
    expect(edit((b) => b.writeUInt32BE(topics, L.logs[1]! + 43))).toBeNull();
    expect(edit((b) => (b[L.logs[0]! + 42] = 0))).toBeNull();
    expect(edit((b) => (b[L.logs[0]! + 42] = 5))).toBeNull();
    // Counts and lengths that claim more than the bytes (or the bounds): refused before any allocation.
    expect(edit((b) => b.writeUInt32BE(0xffffffff, L.logCountAt))).toBeNull();
    expect(edit((b) => b.writeUInt32BE(0xffffffff, L.topicCountAt))).toBeNull();
    expect(edit((b) => b.writeUInt32BE(0xffffffff, L.logs[0]! + 43 + 4))).toBeNull();
    expect(edit((b) => b.writeUInt32BE(0xffffffff, L.timesAt))).toBeNull();
    // A time for a block after the head.
    expect(edit((b) => b.writeUIntBE(51, L.timesAt + 4, 6))).toBeNull();
  });

  it('MUST NOT throw on corrupted bytes: a document or null', () => {
    const d = doc();
    let x = 12345;
    const r = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
    for (let k = 0; k < 2000; k++) {
      const b = Buffer.from(d);
      for (let j = 0; j < 1 + Math.floor(r() * 4); j++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      expect(() => parseIndex(b, SCOPE, FROM)).not.toThrow();
    }
  });

  it('MUST NOT encode a value past 2^48 (not indexed: read live)', () => {
    expect(() => encodeIndex(SCOPE, 2 ** 48, h(1), [], [])).toThrow(RangeError);
  });
});
