/**
 * Log queries: decoded events of the contract with their block time. Records and the
 * audit trail live only in events (CONTRACT.md § Storage layout), so reads start here.
 */
import type { EventFragment, Interface, Log } from 'ethers';
import { zeroPadValue } from 'ethers/utils';
import type { EventArgs, EventName } from './abi.js';
import { toChainError } from './errors.js';
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
  log: Log,
  names?: readonly N[],
): DecodedEvent<N> | null {
  if (log.address.toLowerCase() !== contract.toLowerCase()) return null;
  const fragment = eventsByTopic(iface).get(String(log.topics[0]).toLowerCase());
  if (!fragment || (names && !(names as readonly string[]).includes(fragment.name))) return null;
  // ethers decodes `args` from this very ABI entry: the positional tuple abitype derives.
  const args = iface.decodeEventLog(fragment, log.data, log.topics);
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
    iface.forEachEvent((f) => {
      if (!f.anonymous) built.set(f.topicHash.toLowerCase(), f);
    });
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
 * these); `names` limits
 * topic0 to these events.
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
  try {
    const logs = await chain.provider.getLogs({
      address: chain.address,
      topics: [topic0, ...(params.topics ?? []).map((t) => (Array.isArray(t) ? [...t] : t) as string | string[] | null)],
      fromBlock: params.fromBlock ?? chain.fromBlock,
      toBlock: params.toBlock ?? 'latest',
    });
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

/** Block timestamps (unix seconds), one request per distinct block. */
export async function blockTimes(chain: EmrChain, blocks: Iterable<number>): Promise<Map<number, number>> {
  const unique = [...new Set(blocks)];
  const out = new Map<number, number>();
  try {
    await Promise.all(
      unique.map(async (n) => {
        const b = await chain.provider.getBlock(n);
        out.set(n, b ? b.timestamp : 0);
      }),
    );
  } catch (e) {
    throw toChainError(e, chain.iface);
  }
  return out;
}
