/**
 * `emr devnet fund <who> [--amount <eth>]` (docs/DEVNET.md § 1.4; issue 24 § 1): ether for an
 * account on THIS home's devnet, e.g. another site's profile that talks to it by --rpc-url
 * (chainFor funds only this home's own profiles, and only when they sign).
 *
 * Devnet only (DEVNET.md § 2): on any other chain — even a node that would take a
 * set-balance call — emr funds nobody, so the command is refused before any request
 * (exit 2) with how to fund there instead.
 */
import { anvilFund } from '../chain/anvil.js';
import { devnetStatus, readDevnetRecord } from '../chain/devnet.js';
import { rpcCall } from '../chain/rpc.js';
import { endpointLabel } from '../chain/transport.js';
import type { Context } from '../context.js';
import { UnavailableError, UsageError } from '../errors.js';
import { resolveAddress } from '../session/resolve.js';

const WEI = 10n ** 18n;
/** More than any test or demo needs; a typo of many zeros is a usage error, not a balance. */
export const MAX_FUND_ETH = 1_000_000_000n;

/** `--amount` in ether (up to 18 decimals) as wei; exit 2 when not a positive amount ≤ MAX_FUND_ETH. */
export function parseEther(v: string): bigint {
  const m = /^(\d{1,10})(?:\.(\d{1,18}))?$/.exec(v);
  const wei = m ? BigInt(m[1]!) * WEI + BigInt((m[2] ?? '').padEnd(18, '0') || '0') : 0n;
  if (!m || wei <= 0n || wei > MAX_FUND_ETH * WEI)
    throw new UsageError(`--amount: '${v.slice(0, 30)}' is not an amount of ether`, {
      hint: `a number of ether above 0 and at most ${MAX_FUND_ETH}, e.g. --amount 10 or --amount 0.5`,
    });
  return wei;
}

/** Wei as a decimal number of ether, without trailing zeros (`2.5`, `100`). */
export function formatEther(wei: bigint): string {
  const frac = (wei % WEI).toString().padStart(18, '0').replace(/0+$/, '');
  return `${wei / WEI}${frac ? `.${frac}` : ''}`;
}

export interface FundResult {
  address: string;
  /** The local profile with that address, if any. */
  name: string | null;
  /** Ether added. */
  amount: string;
  /** Ether held afterwards. */
  balance: string;
}

export async function fundOnDevnet(ctx: Context, who: string, amountWei: bigint): Promise<FundResult> {
  const rec = readDevnetRecord(ctx.home);
  const rpcUrl = ctx.globals.rpcUrl ?? ctx.config.get('rpcUrl');
  const address = await resolveAddress(ctx, who);
  if (rpcUrl && rpcUrl !== rec?.rpcUrl)
    throw new UsageError(`emr devnet fund works on this home's devnet only; ${endpointLabel(rpcUrl)} is another chain`, {
      hint: `send ether to ${address} from a funded account there (a faucet, the consortium's treasury); a devnet another home runs is funded from that home (\`emr devnet fund ${address}\`)`,
    });
  if (!rec || !(await devnetStatus({ home: ctx.home })).running)
    throw new UnavailableError('the embedded devnet is not running', { hint: 'start it with `emr devnet up`' });
  await anvilFund(rec.rpcUrl, address, amountWei);
  const balance = BigInt(await rpcCall<string>(rec.rpcUrl, 'eth_getBalance', [address, 'latest']));
  return { address, name: ctx.profiles.byAddress(address)?.name ?? null, amount: formatEther(amountWei), balance: formatEther(balance) };
}
