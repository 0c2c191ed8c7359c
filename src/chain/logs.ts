/**
 * Log queries: decoded events of the contract with their block time. Records and the
 * audit trail live only in events (CONTRACT.md § Storage layout), so reads start here.
 */
import type { EventFragment, Interface, Log } from 'ethers';
import { zeroPadValue } from 'ethers/utils';
import { EmrError } from '../errors.js';
import type { EventArgs, EventName } from './abi.js';
import { toChainError } from './errors.js';
import { decodersOf, decodeWith } from './event-decoder.js';
import type { LogSource, PlainLog } from './log-index.js';
import type { EmrChain } from './types.js';

/** A decoded event of the contract: `args` typed from the ABI by its `name` (abi.ts). */
export type DecodedEvent<N extends EventName = EventName> = { [K in N]: { name: K; args: EventArgs<K> } }[N];

/** A decoded event with where it was logged. */
export type ChainEvent<N extends EventName = EventName> = DecodedEvent<N> & {
  blockNumber: number;
  logIndex: number;
  txHash: string;
};

/**
 * Decodes `log` if it is one of this contract's events (and one of `names`, when given),
 * else null. The name is checked here, not trusted to the node's topic filter, so the
 * typed `args` are what the ABI says they are even when an endpoint returns other logs.
 */
export function decodeEvent<N extends EventName = EventName>(
  iface: Interface,
  contract: string,
  log: Pick<Log, 'address' | 'topics' | 'data'>,
  names?: readonly N[],
): DecodedEvent<N> | null {
  if (log.address.toLowerCase() !== contract.toLowerCase()) return null;
  const fragment = eventsByTopic(iface).get(String(log.topics[0]).toLowerCase());
  if (!fragment || (names && !(names as readonly string[]).includes(fragment.name))) return null;
  // The positional tuple abitype derives from this very ABI entry: decoded by the decoder
  // specialised to the contract's event types (event-decoder.ts: same values, same refusals
  // as ethers, a fraction of the CPU), or by ethers for a type that decoder does not know.
  const dec = decodersOf(iface).get(String(log.topics[0]).toLowerCase());
  const args = dec ? decodeWith(dec, log.data, log.topics) : iface.decodeEventLog(fragment, log.data, log.topics);
  return { name: fragment.name, args } as unknown as DecodedEvent<N>;
}

const topicIndex = new WeakMap<Interface, Map<string, EventFragment>>();

/**
 * The ABI's (non-anonymous) events by topic0, built once per Interface. ethers' parseLog
 * finds the event by hashing the signature of every event in the ABI on each call (a
 * getter, not cached): with this contract's ~25 events, that keccak work was ~50 ms of
 * CPU in a 1,000-row batch job, for logs the job only looked up (issue 11 goal 6).
 */
function eventsByTopic(iface: Interface): Map<string, EventFragment> {
  let index = topicIndex.get(iface);
  if (!index) {
    index = new Map();
    const built = index;
    // iface.fragments, not forEachEvent: that sorts the names with localeCompare, whose
    // first call loads ICU collation (~80 ms of a warm run's CPU).
    for (const f of iface.fragments)
      if (f.type === 'event' && !(f as EventFragment).anonymous)
        built.set((f as EventFragment).topicHash.toLowerCase(), f as EventFragment);
    topicIndex.set(iface, index);
  }
  return index;
}

export function addressTopic(address: string): string {
  return zeroPadValue(address, 32).toLowerCase();
}

export function idTopic(id: bigint): string {
  return `0x${id.toString(16).padStart(64, '0')}`;
}

/**
 * Events of the contract. `topics` are topic1..3 filters (null = any, an array = any of
 * these); `names` limits topic0 to these events.
 *
 * Asked in block ranges of at most the chain's log window (CONTRACT.md § Reading logs):
 * public endpoints refuse wide `eth_getLogs` ranges (10,000 blocks or 10,000 results are
 * common caps), so a query over a long chain is split, a refused range is halved and asked
 * again, and the halved size is kept for the rest of the run.
 */
export async function queryEvents<N extends EventName = EventName>(
  chain: EmrChain,
  params: {
    names?: readonly N[];
    topics?: readonly (string | readonly string[] | null)[];
    fromBlock?: number;
    toBlock?: number | 'latest';
  },
): Promise<ChainEvent<N>[]> {
  const topic0 = params.names ? params.names.map((n) => chain.iface.getEvent(n)!.topicHash) : null;
  const filter = {
    address: chain.address,
    topics: [topic0, ...(params.topics ?? []).map((t) => (Array.isArray(t) ? [...t] : t) as string | string[] | null)],
  };
  try {
    const from = params.fromBlock ?? chain.fromBlock;
    const to = params.toBlock ?? 'latest';
    const indexed = params.names?.some((n) => LIVE_ONLY.has(n)) ? null : await indexedLogs(chain, filter.topics, from, to);
    const logs = indexed ?? (await logsInWindows(chain, filter, from, to));
    const out: ChainEvent<N>[] = [];
    for (const log of logs) {
      const ev = decodeEvent(chain.iface, chain.address, log, params.names);
      if (!ev) continue;
      out.push({ ...ev, blockNumber: log.blockNumber, logIndex: log.index, txHash: log.transactionHash });
    }
    return out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  } catch (e) {
    throw toChainError(e, chain.iface);
  }
}

/**
 * Events that name the keys data is encrypted to: read from the endpoint every time, never
 * from the index (CONTRACT.md § Log index), so the contact book and witness endpoints check
 * today's answer (SHARING.md § 8), and no answer an endpoint gave once outlives it.
 */
const LIVE_ONLY: ReadonlySet<string> = new Set(['Registered', 'EmergencyRecipientSet']);

/**
 * The logs of [from, to] from the chain's log index (CONTRACT.md § Log index), after
 * bringing it up to the head; null when the chain has no index or the index does not cover
 * the range (then the caller reads live).
 */
async function indexedLogs(
  chain: EmrChain,
  topics: (string | string[] | null)[],
  from: number,
  to: number | 'latest',
): Promise<PlainLog[] | null> {
  const index = chain.logIndex;
  if (!index || from < chain.fromBlock) return null;
  if (to === 'latest' || !index.covers(from, to)) await index.sync(logSource(chain));
  const end = to === 'latest' ? index.head : to;
  return index.covers(from, end) ? index.logs(chain.address, from, end, topics) : null;
}

/** The chain as the log index reads it: blocks by number, and every log of the contract. */
function logSource(chain: EmrChain): LogSource {
  const address = chain.address.toLowerCase();
  return {
    async block(tag) {
      const b = await chain.provider.getBlock(tag);
      return b?.hash ? { number: b.number, hash: b.hash } : null;
    },
    async logs(from, to) {
      const all = await logsInWindows(chain, { address: chain.address, topics: [] }, from, to);
      return all.filter((l) => l.address.toLowerCase() === address);
    },
  };
}

/** The window size learnt per provider in this run (a refused size is never tried again). */
const learnt = new WeakMap<object, { size: number; capped: boolean }>();
/** Widest window tried after successes (CONTRACT.md § Reading logs). */
const MAX_WINDOW = 1_000_000;

/**
 * `eth_getLogs` over [from, to] in windows (CONTRACT.md § Reading logs). A chain without a
 * log window (the embedded devnet) is asked once. An endpoint's JSON-RPC error on a window
 * wider than one block halves it (a node that refuses for another reason is still refused
 * at one block, then its error is the answer); an unanswered request (timeout, node down) is
 * never retried here. Windows that succeed while no cap was seen double, up to MAX_WINDOW.
 */
async function logsInWindows(
  chain: EmrChain,
  filter: { address: string; topics: (string | string[] | null)[] },
  from: number,
  toBlock: number | 'latest',
): Promise<Log[]> {
  if (!chain.logWindow) return chain.provider.getLogs({ ...filter, fromBlock: from, toBlock });
  const to = toBlock === 'latest' ? await chain.provider.getBlockNumber() : toBlock;
  let state = learnt.get(chain.provider);
  if (!state) {
    state = { size: chain.logWindow, capped: false };
    learnt.set(chain.provider, state);
  }
  const out: Log[] = [];
  let at = from;
  while (at <= to) {
    const end = Math.min(to, at + state.size - 1);
    let logs: readonly Log[];
    try {
      logs = await chain.provider.getLogs({ ...filter, fromBlock: at, toBlock: end });
    } catch (e) {
      if (end === at || !refusedRange(e)) throw e;
      state.size = Math.max(1, Math.floor((end - at + 1) / 2));
      state.capped = true;
      continue;
    }
    out.push(...logs);
    at = end + 1;
    if (!state.capped) state.size = Math.min(MAX_WINDOW, state.size * 2);
  }
  return out;
}

/**
 * A JSON-RPC error answer (the node spoke and said no), as opposed to no answer: the
 * transport's timeouts and a node gone are EmrErrors (transport.ts) and end the query.
 */
function refusedRange(e: unknown): boolean {
  const x = e as { code?: unknown; error?: { code?: unknown } } | null;
  if (!x || typeof x !== 'object' || e instanceof EmrError) return false;
  return typeof x.error?.code === 'number' || x.code === 'UNKNOWN_ERROR' || x.code === 'SERVER_ERROR';
}

/**
 * Block timestamps (unix seconds), one request per distinct block the log index does not
 * already hold (CONTRACT.md § Log index); the ones read are added to it.
 */
export async function blockTimes(chain: EmrChain, blocks: Iterable<number>): Promise<Map<number, number>> {
  const index = chain.logIndex;
  const out = new Map<number, number>();
  const missing: number[] = [];
  for (const n of new Set(blocks)) {
    const t = index?.time(n);
    if (t === undefined) missing.push(n);
    else out.set(n, t);
  }
  try {
    await Promise.all(
      missing.map(async (n) => {
        const b = await chain.provider.getBlock(n);
        out.set(n, b ? b.timestamp : 0);
        if (b && index) index.putTime(n, b.timestamp);
      }),
    );
    if (index) await index.flush();
  } catch (e) {
    throw toChainError(e, chain.iface);
  }
  return out;
}
