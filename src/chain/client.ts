/**
 * connectChain: the one way to get an EmrChain. The first contact checks that the
 * endpoint answers (chain id) and that the contract address holds code, so that every
 * later failure is about the action, not the setup.
 *
 * Connecting costs one round trip: the set-up reads (chain id, contract code, and any
 * reads the caller adds, e.g. the signer's balance) go in one JSON-RPC batch, and the
 * provider gets a static network, so ethers never probes the endpoint on its own.
 */
import type { JsonRpcPayload, JsonRpcResult, Signer } from 'ethers';
import { getAddress } from 'ethers/address';
import { Contract } from 'ethers/contract';
import { JsonRpcProvider, Network, NonceManager } from 'ethers/providers';
import { BoundedMemo } from '../bounded-memo.js';
import { NotFoundError, UnavailableError, UsageError } from '../errors.js';
import { emrAbi } from './abi.generated.js';
import { type RpcRequest, rpcBatch } from './rpc.js';
import { boundedRequest, DEFAULT_RPC_TIMEOUT_MS, endpointLabel } from './transport.js';
import type { EmrChain } from './types.js';

export interface ConnectChainParameters {
  rpcUrl: string;
  /** The EmrAccess contract address. */
  contract: string;
  /** The acting account; wrapped in a NonceManager so several txs in a row never collide. */
  signer?: Signer;
  /** First block to scan for logs (default 0; pass the deployment block on long chains). */
  fromBlock?: number;
  /** Blocks per `eth_getLogs` request to start with (logs.ts); unset: one request per query. */
  logWindow?: number;
  /** Polling interval for receipts and `watchAudit` (default 1000 ms). */
  pollingIntervalMs?: number;
  /**
   * Bound on each JSON-RPC request (EMR_RPC_TIMEOUT, docs/CLI.md § Global behaviour).
   * Unset: the set-up batch gets 5 s and every later request DEFAULT_RPC_TIMEOUT_MS.
   */
  timeoutMs?: number;
  /** The chain id the config or the devnet record expects; another one is refused. */
  expectChainId?: bigint | number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * ethers' JsonRpcProvider, reading each response with the platform's UTF-8 decoder and
 * JSON.parse. ethers decodes response bodies with its own JavaScript UTF-8 decoder
 * (FetchResponse.bodyText): for the logs of 1,000 records that was ~0.45 s of a 4 s
 * `record list --details` (bench:list profile). Bytes that are not UTF-8 JSON fall back to
 * ethers' own reading, so its error is unchanged.
 */
class EmrJsonRpcProvider extends JsonRpcProvider {
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const request = this._getConnection();
    request.body = JSON.stringify(payload);
    request.setHeader('content-type', 'application/json');
    const response = await request.send();
    response.assertOk();
    let body: unknown;
    try {
      body = JSON.parse(utf8.decode(response.body ?? new Uint8Array()));
    } catch {
      body = response.bodyJson;
    }
    // Error entries too: the caller (ethers' drain) tells them apart by their `error` member.
    return (Array.isArray(body) ? body : [body]) as JsonRpcResult[];
  }
}

/**
 * The one way emr builds an ethers provider for an endpoint whose chain id is known
 * (connectChainWith, and `admin deploy`, which has no contract to connect to yet).
 * staticNetwork: the chain id is known; ethers must not probe (and retry) again.
 * cacheTimeout -1: ethers otherwise answers an identical request made within 250 ms from
 * cache, so a read right after our own transaction could miss it. A FetchRequest, not the
 * URL string: a string gets ethers' 300 s per request, so a node that stops answering after
 * connect would hold the command for minutes (transport.ts).
 */
export function boundedProvider(
  rpcUrl: string,
  chainId: bigint | number,
  opts: { timeoutMs: number; pollingIntervalMs: number },
): JsonRpcProvider {
  return new EmrJsonRpcProvider(boundedRequest(rpcUrl, opts.timeoutMs), Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: opts.pollingIntervalMs,
    // Reads issued together still share a request (the drain runs on a 0 ms timer, after
    // the current microtasks); the default 10 ms stall only added latency to every read.
    batchStallTime: 0,
  });
}

/**
 * Addresses already parsed, by the exact input: a batch parses the same 50 patients for
 * each of its rows (packRecords, reads), and ethers' getAddress hashes each time (~120 ms
 * of a 1,000-row job; issue 26 § 2). Only valid ones; bounded: emptied when full.
 */
const parsed = new BoundedMemo<string, string>(4096);

export function parseAddress(value: string, what = 'address'): string {
  const hit = parsed.get(value);
  if (hit !== undefined) return hit;
  try {
    return parsed.set(value, getAddress(value));
  } catch (e) {
    throw new UsageError(`invalid ${what}: ${value.slice(0, 60)}`, {
      hint: 'addresses are 0x followed by 40 hex digits',
      cause: e,
    });
  }
}

export async function connectChain(params: ConnectChainParameters): Promise<EmrChain> {
  return (await connectChainWith(params, [])).chain;
}

/**
 * connectChain plus `extra` reads answered in the same request (their results in order),
 * so a caller that needs one more set-up fact does not pay a second round trip.
 */
export async function connectChainWith(
  params: ConnectChainParameters,
  extra: readonly RpcRequest[],
): Promise<{ chain: EmrChain; extra: unknown[] }> {
  const address = parseAddress(params.contract, 'contract address');
  const [chainIdHex, code, ...extraResults] = await rpcBatch(
    params.rpcUrl,
    [{ method: 'eth_chainId' }, { method: 'eth_getCode', params: [address, 'latest'] }, ...extra],
    params.timeoutMs,
  );
  let chainId: bigint;
  try {
    chainId = BigInt(chainIdHex as string);
  } catch (e) {
    throw new UnavailableError(`chain endpoint ${endpointLabel(params.rpcUrl)} gave no valid chain id`, {
      hint: 'check --rpc-url: it must be an EVM JSON-RPC endpoint',
      cause: e,
    });
  }
  if (params.expectChainId !== undefined && BigInt(params.expectChainId) !== chainId) {
    throw new UnavailableError(`chain endpoint ${endpointLabel(params.rpcUrl)} is chain ${chainId}, expected ${params.expectChainId}`, {
      hint: 'the endpoint now serves another chain: check --rpc-url, or run `emr devnet up` again',
    });
  }
  if (typeof code !== 'string' || code === '0x' || code === '') {
    throw new NotFoundError(`no contract at ${address} on chain ${chainId}`, {
      hint: 'run `emr devnet up` (it deploys one) or pass --contract <address> for this --rpc-url',
    });
  }
  const provider = boundedProvider(params.rpcUrl, chainId, {
    timeoutMs: params.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS,
    pollingIntervalMs: params.pollingIntervalMs ?? 1_000,
  });
  // The same ABI value tsc checked every call against (abi.ts), not a second copy read at run time.
  const contract = new Contract(address, emrAbi, provider);
  const chain: EmrChain = {
    provider,
    contract,
    iface: contract.interface,
    address,
    chainId,
    signer: undefined,
    fromBlock: params.fromBlock ?? 0,
    ...(params.logWindow === undefined ? {} : { logWindow: params.logWindow }),
    rpcUrl: params.rpcUrl,
  };
  return { chain: params.signer ? attachSigner(chain, params.signer) : chain, extra: extraResults };
}

/** The same client acting as `signer` (wrapped in a NonceManager, bound to the provider). */
export function attachSigner(chain: EmrChain, signer: Signer): EmrChain {
  const base = signer.provider ? signer : signer.connect(chain.provider);
  return { ...chain, signer: base instanceof NonceManager ? base : new NonceManager(base) };
}
