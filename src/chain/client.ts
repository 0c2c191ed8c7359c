/**
 * connectChain: the one way to get an EmrChain. The first contact checks that the
 * endpoint answers (chain id) and that the contract address holds code, so that every
 * later failure is about the action, not the setup.
 */
import { Contract, getAddress, JsonRpcProvider, Network, NonceManager, type Signer } from 'ethers';
import { NotFoundError, UsageError } from '../errors.js';
import { loadArtifact } from './artifacts.js';
import { rpcCall } from './rpc.js';
import type { EmrChain } from './types.js';

export interface ConnectChainParameters {
  rpcUrl: string;
  /** The EmrAccess contract address. */
  contract: string;
  /** The acting account; wrapped in a NonceManager so several txs in a row never collide. */
  signer?: Signer;
  /** First block to scan for logs (default 0; pass the deployment block on long chains). */
  fromBlock?: number;
  /** Polling interval for receipts and `watchAudit` (default 1000 ms). */
  pollingIntervalMs?: number;
  timeoutMs?: number;
}

export function parseAddress(value: string, what = 'address'): string {
  try {
    return getAddress(value);
  } catch (e) {
    throw new UsageError(`invalid ${what}: ${value.slice(0, 60)}`, {
      hint: 'addresses are 0x followed by 40 hex digits',
      cause: e,
    });
  }
}

export async function connectChain(params: ConnectChainParameters): Promise<EmrChain> {
  const address = parseAddress(params.contract, 'contract address');
  const chainIdHex = await rpcCall<string>(params.rpcUrl, 'eth_chainId', [], params.timeoutMs);
  const chainId = BigInt(chainIdHex);
  const code = await rpcCall<string>(params.rpcUrl, 'eth_getCode', [address, 'latest'], params.timeoutMs);
  if (!code || code === '0x') {
    throw new NotFoundError(`no contract at ${address} on chain ${chainId}`, {
      hint: 'run `emr devnet up` (it deploys one) or pass --contract <address> for this --rpc-url',
    });
  }
  // staticNetwork: we already know the chain id; ethers must not probe (and retry) again.
  // cacheTimeout -1: ethers otherwise answers an identical request made within 250 ms
  // from cache, so a read right after our own transaction could miss it.
  const provider = new JsonRpcProvider(params.rpcUrl, Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: params.pollingIntervalMs ?? 1_000,
  });
  const { abi } = loadArtifact('EmrAccess');
  const contract = new Contract(address, abi, provider);
  let signer: Signer | undefined;
  if (params.signer) {
    const base = params.signer.provider ? params.signer : params.signer.connect(provider);
    signer = base instanceof NonceManager ? base : new NonceManager(base);
  }
  return {
    provider,
    contract,
    iface: contract.interface,
    address,
    chainId,
    signer,
    fromBlock: params.fromBlock ?? 0,
  };
}
