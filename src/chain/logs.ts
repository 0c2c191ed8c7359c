/**
 * Log queries: decoded events of the contract with their block time. Records and the
 * audit trail live only in events (CONTRACT.md § Storage layout), so reads start here.
 */
import type { Interface, Log } from 'ethers';
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
  const parsed = iface.parseLog(log);
  if (!parsed || (names && !(names as readonly string[]).includes(parsed.name))) return null;
  // ethers decoded `args` from this very ABI entry: the positional tuple abitype derives.
  return { name: parsed.name, args: parsed.args } as unknown as DecodedEvent<N>;
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
