/**
 * Floor 4: the chain client for a command run (docs/CLI.md § Global behaviour: `--rpc-url`,
 * `--contract`, default: the embedded devnet). Built once per run, closed with the context.
 *
 * Policy (docs/DEVNET.md): commands never start the devnet behind the user's back — a
 * batch job must not silently talk to a fresh local chain. When no endpoint is given and
 * the devnet is down, they fail with UNAVAILABLE (exit 6) and say `emr devnet up`.
 * `emr demo` is the exception: starting it is the demo's job.
 */

import { attachSigner, connectChainWith } from '../chain/client.js';
import { fundAccount, readDevnetRecord } from '../chain/devnet.js';
import { toChainError } from '../chain/errors.js';
import { rpcCall } from '../chain/rpc.js';
import { endpointLabel } from '../chain/transport.js';
import type { EmrChain } from '../chain/types.js';
import { whoisForEncryption } from '../chain/whois.js';
import type { Context } from '../context.js';
import { NotFoundError, UnavailableError, UsageError } from '../errors.js';
import { recipientGuard } from './contacts.js';
import { logIndexFor } from './log-index-store.js';
import { unlock } from './unlock.js';

/** Blocks per eth_getLogs request off the devnet, to start with (CONTRACT.md § Reading logs). */
export const DEFAULT_LOG_WINDOW = 10_000;

export interface Endpoint {
  rpcUrl: string;
  contract: string;
  /** True when this is the embedded devnet of this home (profiles get funded there). */
  devnet: boolean;
  fromBlock: number;
  /** The chain id the devnet record or the config expects (checked when connecting). */
  chainId?: number;
}

export async function resolveEndpoint(ctx: Context): Promise<Endpoint> {
  const rec = readDevnetRecord(ctx.home);
  const rpcUrl = ctx.globals.rpcUrl ?? ctx.config.get('rpcUrl');
  if (rpcUrl) {
    const onDevnet = !!rec && rec.rpcUrl === rpcUrl;
    const contract = ctx.globals.contract ?? (onDevnet ? (rec!.contract ?? undefined) : undefined) ?? ctx.config.get('contract');
    if (!contract) {
      // Unreachable is UNAVAILABLE (exit 6) whatever else is missing: probe before asking
      // for --contract, so a dead endpoint is not reported as a usage error.
      await rpcCall(rpcUrl, 'eth_chainId', [], 5_000);
      throw new UsageError(`no contract address for ${endpointLabel(rpcUrl)}`, {
        hint: 'pass --contract <address> (or set EMR_CONTRACT); `emr admin deploy` deploys one',
      });
    }
    const configured = rpcUrl === ctx.config.get('rpcUrl');
    const chainId = onDevnet ? rec!.chainId : configured ? ctx.config.get('chainId') : undefined;
    return {
      rpcUrl,
      contract,
      devnet: onDevnet,
      fromBlock: onDevnet ? rec!.deployBlock : savedDeployBlock(ctx, rpcUrl, contract),
      chainId,
    };
  }
  // Whether the devnet answers is learnt by connecting (one round trip, not a probe first):
  // chainFor turns an unreachable devnet into the 'not running' error below.
  if (!rec) throw devnetDown(false);
  const contract = ctx.globals.contract ?? rec.contract;
  if (!contract) throw new UnavailableError('the devnet has no contract deployed', { hint: 'run `emr devnet up` again' });
  return { rpcUrl: rec.rpcUrl, contract, devnet: true, fromBlock: rec.deployBlock, chainId: rec.chainId };
}

/**
 * The deployment block `admin deploy --save` recorded for this endpoint and contract
 * (CONTRACT.md § Reading logs), else 0: logs are read from there, not from genesis.
 */
function savedDeployBlock(ctx: Context, rpcUrl: string, contract: string): number {
  const block = ctx.config.get('deployBlock');
  const same = rpcUrl === ctx.config.get('rpcUrl') && contract.toLowerCase() === String(ctx.config.get('contract')).toLowerCase();
  return same && Number.isSafeInteger(block) && block! >= 0 ? block! : 0;
}

function devnetDown(hasState: boolean, cause?: unknown): UnavailableError {
  return new UnavailableError('the embedded devnet is not running', {
    hint: hasState
      ? 'start it with `emr devnet up` (its state is kept), or pass --rpc-url'
      : 'start one with `emr devnet up`, or pass --rpc-url <url> --contract <address>',
    cause,
  });
}

/**
 * The chain client; with `signer`, the acting profile (unlocked) signs transactions. On the
 * devnet an unfunded profile is funded first (docs/CLI.md § Network: "new profiles are funded
 * automatically so they can pay gas").
 */
export async function chainFor(ctx: Context, opts: { signer?: boolean; profile?: string } = {}): Promise<EmrChain> {
  const key = `chain:${opts.signer ? ctx.profileName(opts.profile) : '-'}`;
  const cached = ctx.cache.get(key) as EmrChain | undefined;
  if (cached) return cached;
  const ep = await resolveEndpoint(ctx);
  // Connect first, unlock second: an unreachable chain is reported before any passphrase
  // is asked for, and the signer's devnet balance (its address is public, in the profile)
  // is read in the same request as the set-up reads.
  const address = opts.signer ? ctx.profile(opts.profile).address : undefined;
  const fundCheck = ep.devnet && address ? [{ method: 'eth_getBalance', params: [address, 'latest'] }] : [];
  const timeoutMs = rpcTimeoutMs(ctx);
  let connected;
  try {
    connected = await connectChainWith(
      {
        rpcUrl: ep.rpcUrl,
        contract: ep.contract,
        fromBlock: ep.fromBlock,
        // CONTRACT.md § Reading logs: public endpoints cap eth_getLogs ranges.
        ...(ep.devnet ? {} : { logWindow: DEFAULT_LOG_WINDOW }),
        pollingIntervalMs: ep.devnet ? 250 : 1_000,
        expectChainId: ep.chainId,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      },
      fundCheck,
    );
  } catch (e) {
    if (ep.devnet && !ctx.globals.rpcUrl && !ctx.config.get('rpcUrl') && e instanceof UnavailableError) throw devnetDown(true, e);
    throw e;
  }
  // SHARING.md § 8: every key read from chain for encryption is pinned and cross-checked.
  const witnesses = await witnessChains(ctx, ep, connected.chain.chainId, timeoutMs);
  let chain: EmrChain = {
    ...connected.chain,
    vetRecipient: recipientGuard(ctx),
    ...(witnesses.length > 0 ? { witnesses } : {}),
    // CONTRACT.md § Log index: off the embedded devnet, reads go through the local index.
    ...(ep.devnet ? {} : { logIndex: logIndexFor(ctx, { ...connected.chain, rpcUrl: ep.rpcUrl }) }),
  };
  if (opts.signer) chain = await signWith(ctx, chain, { profile: opts.profile, devnet: ep.devnet, balance: connected.extra[0] });
  ctx.onClose(() => chain.provider.destroy());
  ctx.cache.set(key, chain);
  return chain;
}

/**
 * The endpoints of `--rpc-url` given again (SHARING.md § 8.4), read-only, on the same chain
 * and contract: recipient reads are made on each and must agree with the first.
 */
async function witnessChains(ctx: Context, ep: Endpoint, chainId: bigint, timeoutMs: number | undefined): Promise<EmrChain[]> {
  const out: EmrChain[] = [];
  for (const rpcUrl of ctx.globals.rpcWitnesses ?? []) {
    const { chain } = await connectChainWith(
      {
        rpcUrl,
        contract: ep.contract,
        fromBlock: ep.fromBlock,
        expectChainId: chainId,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(ep.devnet ? {} : { logWindow: DEFAULT_LOG_WINDOW }),
      },
      [],
    );
    ctx.onClose(() => chain.provider.destroy());
    out.push(chain);
  }
  return out;
}

/**
 * `chain` (connected read-only) with the acting profile unlocked as its transaction signer.
 * On the devnet an unfunded profile is funded first; `balance` is its balance when the
 * caller already read it (chainFor reads it in the connect batch), else it is read here.
 */
export async function signWith(
  ctx: Context,
  chain: EmrChain,
  opts: { profile?: string; devnet?: boolean; balance?: unknown } = {},
): Promise<EmrChain> {
  const me = await unlock(ctx, opts.profile);
  const signing = attachSigner(chain, await me.wallet());
  const devnet = opts.devnet ?? (await resolveEndpoint(ctx)).devnet;
  if (devnet) {
    let balance: bigint;
    try {
      balance = opts.balance === undefined ? await chain.provider.getBalance(me.profile.address) : BigInt(opts.balance as string);
    } catch (e) {
      throw toChainError(e, chain.iface);
    }
    if (balance < 10n ** 18n) await fundAccount(ctx.home, me.profile.address);
  }
  return signing;
}

/** EMR_RPC_TIMEOUT (seconds): how long one chain request may go unanswered (docs/CLI.md). */
export function rpcTimeoutMs(ctx: Context): number | undefined {
  const v = ctx.env.EMR_RPC_TIMEOUT;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) {
    throw new UsageError('EMR_RPC_TIMEOUT must be a number of seconds between 0 and 3600', { hint: 'e.g. EMR_RPC_TIMEOUT=30' });
  }
  return Math.round(n * 1000);
}

/** The published age recipient of a registered address (for `--to 0x…`). */
export async function lookupRecipient(ctx: Context, address: string): Promise<string> {
  const chain = await chainFor(ctx);
  const info = await whoisForEncryption(chain, address);
  if (!info.registered || !info.recipient) {
    throw new NotFoundError(`${address} is not registered`, { hint: 'they must run `emr register` first, or give their age1… recipient' });
  }
  return info.recipient;
}
