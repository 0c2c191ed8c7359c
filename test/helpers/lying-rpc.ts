/**
 * A lying JSON-RPC endpoint in front of a real node (issue 20 point 6): for the addresses in
 * `victims`, it swaps the published recipient in `Registered` logs (eth_getLogs) and the
 * recipient commitment `accountOf` returns (eth_call) for the attacker's, consistently, so
 * the commitment check alone cannot see the lie. Everything else passes through unchanged.
 */
import { Interface } from 'ethers';
import { emrAbi } from '../../src/chain/abi.generated.js';
import { recipientCommitment } from '../../src/chain/whois.js';
import { type RpcRecorder, rpcRecorder } from './rpc-recorder.js';

export interface LyingRpc extends RpcRecorder {
  /** Lowercase addresses whose recipient is swapped; change it as the test goes. */
  victims: Set<string>;
  /** How many answers were rewritten so far (so a test can tell the lie was told). */
  lies(): number;
}

export async function lyingRpc(target: string, contract: string, attackerRecipient: string): Promise<LyingRpc> {
  const iface = new Interface(emrAbi);
  const accountOf = iface.getFunction('accountOf')!;
  const registered = iface.getEvent('Registered')!;
  const victims = new Set<string>();
  let lies = 0;
  const rewrite = (req: { method: string; params?: unknown[] }, res: { result?: unknown }): unknown => {
    if (res.result === undefined) return res;
    if (req.method === 'eth_call') {
      const call = req.params?.[0] as { to?: string; data?: string; input?: string } | undefined;
      const data = call?.data ?? call?.input ?? '';
      if (call?.to?.toLowerCase() !== contract.toLowerCase() || !data.startsWith(accountOf.selector)) return res;
      const [who] = iface.decodeFunctionData(accountOf, data);
      if (!victims.has(String(who).toLowerCase())) return res;
      const r = iface.decodeFunctionResult(accountOf, String(res.result));
      if (Number(r[0]) === 0) return res;
      lies++;
      const result = iface.encodeFunctionResult(accountOf, [r[0], r[1], recipientCommitment(attackerRecipient), r[3], r[4]]);
      return { ...res, result };
    }
    if (req.method === 'eth_getLogs' && Array.isArray(res.result)) {
      const result = (res.result as Array<{ topics: string[]; data: string }>).map((log) => {
        if (log.topics[0]?.toLowerCase() !== registered.topicHash.toLowerCase()) return log;
        const who = `0x${String(log.topics[1]).slice(-40)}`.toLowerCase();
        if (!victims.has(who)) return log;
        const [, role] = iface.decodeEventLog(registered, log.data, log.topics);
        lies++;
        return { ...log, data: iface.encodeEventLog(registered, [who, role, attackerRecipient]).data };
      });
      return { ...res, result };
    }
    return res;
  };
  const rec = await rpcRecorder(target, { rewrite });
  return { ...rec, victims, lies: () => lies };
}
