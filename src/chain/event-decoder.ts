/**
 * A decoder of this contract's event logs specialised to the ABI types its events use
 * (CONTRACT.md § Reading logs, "Decoding"): uintN, address, bool, bytes32 and uint256
 * indexed or not, string and uint256[] not indexed. It decodes exactly what ethers'
 * `Interface.decodeEventLog` decodes and refuses exactly what it refuses, without its
 * generic machinery (a coder tree, a Reader copy per word, a Result proxy and a keccak of
 * the event's signature per log: ~2 ms of CPU per log under load, issue 26 § 3). An event
 * with any other parameter type has no decoder here and is left to ethers (`decoderFor`
 * returns null).
 *
 * Everything a log holds is hostile (an endpoint can return anything): every offset and
 * length is checked against the data before it is read, as ethers' Reader does, so no
 * length makes this allocate or loop beyond the data's own size. ethers' semantics kept
 * on purpose, each named by test/chain/event-decoder.test.ts:
 * - thrown (the log does not decode): topic or data words missing, a dynamic value's
 *   offset past 2^53 or its length word or bytes past the data, an array whose count
 *   exceeds what the data could hold;
 * - deferred (the log decodes; reading that one argument throws, as reading it from
 *   ethers' Result does): an address word with bits above 160, a length or count word
 *   past 2^53;
 * - one deliberate difference: a string that is not UTF-8 (Solidity does not check; any
 *   provider can put one in an emergency reason, an org admin in a department name) reads
 *   as its lossy decode, each bad sequence U+FFFD, where ethers defers an error: one
 *   hostile string must not fail every view that reads the event (CONTRACT.md § Reading
 *   logs, "Decoding");
 * - read as ethers reads them: uintN masked to N bits, bool any non-zero word, data past
 *   the last word ignored, topics past the indexed ones ignored, a string's bytes unpadded
 *   at the end of the data accepted.
 */
import type { EventFragment, Interface } from 'ethers';
import { getAddress } from 'ethers/address';

type Kind = { t: 'uint'; hexDigits: number } | { t: 'address' } | { t: 'bool' } | { t: 'bytes32' } | { t: 'string' } | { t: 'uint256[]' };

interface Param {
  kind: Kind;
  indexed: boolean;
}

/** The decoder of one event: its name and parameters in ABI order. */
export interface EventDecoder {
  name: string;
  params: readonly Param[];
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
const WORD_HEX = /^0x[0-9a-fA-F]{64}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lossy = new TextDecoder('utf-8', { ignoreBOM: true });

function kindOf(type: string, indexed: boolean): Kind | null {
  const m = /^uint(\d+)$/.exec(type);
  if (m) {
    const bits = Number(m[1]);
    return bits >= 8 && bits <= 256 && bits % 8 === 0 ? { t: 'uint', hexDigits: bits / 4 } : null;
  }
  if (type === 'address') return { t: 'address' };
  if (type === 'bool') return { t: 'bool' };
  if (type === 'bytes32') return { t: 'bytes32' };
  // A dynamic type in a topic is only its hash (ethers returns an Indexed): not handled here.
  if (type === 'string' && !indexed) return { t: 'string' };
  if (type === 'uint256[]' && !indexed) return { t: 'uint256[]' };
  return null;
}

/** The decoder of `fragment`, or null when one of its types is not one this file decodes. */
export function decoderFor(fragment: EventFragment): EventDecoder | null {
  if (fragment.anonymous) return null;
  const params: Param[] = [];
  for (const p of fragment.inputs) {
    const kind = kindOf(p.type, p.indexed === true);
    if (!kind) return null;
    params.push({ kind, indexed: p.indexed === true });
  }
  return { name: fragment.name, params };
}

const decoders = new WeakMap<Interface, Map<string, EventDecoder | null>>();

/** The decoders of `iface`'s events by lower-case topic0, built once per Interface. */
export function decodersOf(iface: Interface): Map<string, EventDecoder | null> {
  let m = decoders.get(iface);
  if (!m) {
    const built = new Map<string, EventDecoder | null>();
    // Not forEachEvent: it sorts with localeCompare, whose first call loads ICU (~80 ms).
    for (const f of iface.fragments) {
      if (f.type === 'event' && !(f as EventFragment).anonymous)
        built.set((f as EventFragment).topicHash.toLowerCase(), decoderFor(f as EventFragment));
    }
    decoders.set(iface, built);
    m = built;
  }
  return m;
}

/** Checksummed addresses already computed (a keccak each); bounded, cleared when full. */
const checksums = new Map<string, string>();
function checksum(lowerHex40: string): string {
  let a = checksums.get(lowerHex40);
  if (a === undefined) {
    if (checksums.size >= 8192) checksums.clear();
    a = getAddress('0x' + lowerHex40);
    checksums.set(lowerHex40, a);
  }
  return a;
}

class Overrun extends RangeError {
  constructor(what: string) {
    super(`event log: ${what} past the end of the data`);
  }
}

/** An argument that did not decode; reading it throws (as reading it from ethers' Result). */
class Deferred {
  constructor(readonly error: Error) {}
}

/** Hex words of a byte string kept as lower-case hex without its 0x (2 hex digits a byte). */
class Words {
  constructor(
    readonly hex: string,
    readonly length: number,
  ) {}
  /** The 64 hex digits of the word at byte offset `at`; throws past the end. */
  word(at: number, what: string): string {
    if (at + 32 > this.length) throw new Overrun(what);
    return this.hex.slice(2 * at, 2 * at + 64);
  }
}

function wordsOfHex(h: string, what: string): Words {
  if (typeof h !== 'string' || !HEX.test(h)) throw new TypeError(`event log: ${what} is not hex`);
  return new Words(h.slice(2).toLowerCase(), (h.length - 2) / 2);
}

function staticValue(kind: Kind, w: string): unknown {
  switch (kind.t) {
    case 'uint':
      // ethers masks to the type's width (NumberCoder.decode): the low N bits.
      return BigInt('0x' + w.slice(64 - kind.hexDigits));
    case 'address':
      // ethers: toBeHex(value, 20), which refuses a value wider than 20 bytes (deferred).
      for (let i = 0; i < 24; i++)
        if (w.charCodeAt(i) !== 48) return new Deferred(new RangeError('event log: address word wider than 20 bytes'));
      return checksum(w.slice(24));
    case 'bool':
      return !/^0+$/.test(w);
    case 'bytes32':
      return '0x' + w;
    default:
      throw new Error(`static decode of ${kind.t}`);
  }
}

/** A length or offset word as a number: a Deferred past 2^53 (ethers' toNumber refuses it). */
function indexOf(w: string): number | null {
  const v = BigInt('0x' + w);
  return v > MAX_SAFE ? null : Number(v);
}

function dynamicValue(kind: Kind, d: Words, off: number): unknown {
  // ethers reads a dynamic value through a reader on data[off:], so lengths are bounded by
  // what is left after `off`.
  const left = Math.max(0, d.length - off);
  const len = indexOf(d.word(off, 'length word'));
  if (len === null) return new Deferred(new RangeError('event log: length past 2^53'));
  if (kind.t === 'string') {
    // Loose read (events of old solc): unpadded bytes at the end of the data are accepted.
    if (32 + len > left) throw new Overrun('string bytes');
    const start = off + 32;
    const bytes = Buffer.from(d.hex.slice(2 * start, 2 * (start + len)), 'hex');
    try {
      return utf8.decode(bytes);
    } catch {
      return utf8Lossy.decode(bytes);
    }
  }
  // uint256[]: ethers first bounds the count by the bytes left (32 each), then reads each.
  if (len * 32 > left) throw new Overrun('array count');
  const out: bigint[] = new Array(len);
  for (let i = 0; i < len; i++) out[i] = BigInt('0x' + d.word(off + 32 + 32 * i, 'array item'));
  return out;
}

/**
 * The arguments of a log of `dec`'s event, in ABI order, as ethers' decodeEventLog returns
 * them (its Result's positional values; an argument that ethers would defer throws when
 * read). `topics` includes topic0 (the caller matched it to `dec`). Throws when ethers
 * throws.
 */
export function decodeWith(dec: EventDecoder, data: string, topics: readonly string[]): unknown[] {
  // Topics after topic0 are one byte string to ethers (concat), read word by word.
  const rest = topics.slice(1);
  const t = rest.every((x) => typeof x === 'string' && WORD_HEX.test(x))
    ? new Words(
        rest
          .map((x) => x.slice(2))
          .join('')
          .toLowerCase(),
        32 * rest.length,
      )
    : wordsOfHex('0x' + rest.map((x) => wordsOfHex(x, 'topic').hex).join(''), 'topics');
  const d = wordsOfHex(data, 'data');
  const values: unknown[] = new Array(dec.params.length);
  let ti = 0;
  let head = 0;
  dec.params.forEach((p, i) => {
    if (p.indexed) {
      values[i] = staticValue(p.kind, t.word(32 * ti++, 'topic'));
      return;
    }
    if (p.kind.t === 'string' || p.kind.t === 'uint256[]') {
      const off = indexOf(d.word(head, 'offset word'));
      head += 32;
      // ethers reads the offset outside its per-value catch: past 2^53 the log is refused.
      if (off === null) throw new RangeError('event log: offset past 2^53');
      values[i] = dynamicValue(p.kind, d, off);
      return;
    }
    values[i] = staticValue(p.kind, d.word(head, 'data word'));
    head += 32;
  });
  const out: unknown[] = values.slice();
  values.forEach((v, i) => {
    if (v instanceof Deferred) {
      Object.defineProperty(out, i, {
        enumerable: true,
        get() {
          throw v.error;
        },
      });
    }
  });
  return out;
}
