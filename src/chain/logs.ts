/**
 * Log queries: decoded events of the contract with their block time. Records and the
 * audit trail live only in events (CONTRACT.md § Storage layout), so reads start here.
 */
import { zeroPadValue, type LogDescription } from 'ethers';
import { toChainError } from './errors.js';
import type { EmrChain } from './types.js';

export interface ChainEvent {
  name: string;
  args: LogDescription['args'];
  blockNumber: number;
  logIndex: number;
  txHash: string;
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
export async function queryEvents(
  chain: EmrChain,
  params: { names?: readonly string[]; topics?: readonly (string | readonly string[] | null)[]; fromBlock?: number; toBlock?: number | 'latest' },
): Promise<ChainEvent[]> {
  const topic0 = params.names ? params.names.map((n) => chain.iface.getEvent(n)!.topicHash) : null;
  try {
    const logs = await chain.provider.getLogs({
      address: chain.address,
      topics: [topic0, ...(params.topics ?? []).map((t) => (Array.isArray(t) ? [...t] : t) as string | string[] | null)],
      fromBlock: params.fromBlock ?? chain.fromBlock,
      toBlock: params.toBlock ?? 'latest',
    });
    const out: ChainEvent[] = [];
    for (const log of logs) {
      const parsed = chain.iface.parseLog(log);
      if (!parsed) continue;
      out.push({ name: parsed.name, args: parsed.args, blockNumber: log.blockNumber, logIndex: log.index, txHash: log.transactionHash });
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
