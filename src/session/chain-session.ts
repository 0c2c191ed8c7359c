/**
 * A session for a command that needs the chain and/or the acting identity but no record
 * store (`whois`, `grant`, `access list`, `audit`, the admin actions …). It does not import
 * the store (./store.ts: Kubo, the embedded blockstore, the gateway client, CAR files), so
 * such a command does not load or compile the IPFS stack: ~250 KB of bundle that `whois`
 * loaded before (issue 11 goal 3). `openSession` (./index.ts) adds the store to the same parts.
 */
import type { EmrChain } from '../chain/types.js';
import type { Context } from '../context.js';
import { type SessionBase, sessionBase } from './base.js';
import { chainFor } from './chain.js';
import { type Unlocked, unlock, unlockIfAnswerable } from './unlock.js';

export interface ChainNeeds {
  /**
   * Unlock the acting profile (to decrypt or sign off-chain). 'ifAnswerable': only when that
   * asks nothing nobody can answer (./unlock.ts unlockIfAnswerable), to name sealed types.
   */
  unlock?: boolean | 'ifAnswerable';
  /** Connect to the chain with the acting profile as the transaction signer (implies unlock). */
  signer?: boolean;
  /** Connect to the chain read-only. */
  chain?: boolean;
  /** A profile other than the acting one (`--profile` of a subcommand). */
  profile?: string;
}

export type ChainOpened<N extends ChainNeeds> = SessionBase &
  (N extends { unlock: true } | { signer: true } ? { me: Unlocked } : { me?: Unlocked }) &
  (N extends { chain: true } | { signer: true } ? { chain: EmrChain } : { chain?: EmrChain });

/**
 * Opens the chain, then `between` (the store, for openSession), then unlocks: the order of
 * docs/CLI.md § Global behaviour, so an unreachable endpoint is exit 6 before any prompt.
 */
export async function openParts<T>(
  ctx: Context,
  needs: ChainNeeds,
  between: () => Promise<T>,
): Promise<{ chain?: EmrChain; me?: Unlocked; extra: T }> {
  const chain = needs.chain || needs.signer ? await chainFor(ctx, { signer: needs.signer, profile: needs.profile }) : undefined;
  const extra = await between();
  const me =
    needs.unlock === true || needs.signer
      ? await unlock(ctx, needs.profile)
      : needs.unlock === 'ifAnswerable'
        ? await unlockIfAnswerable(ctx)
        : undefined;
  return { chain, me, extra };
}

export async function openChainSession<const N extends ChainNeeds>(ctx: Context, needs: N): Promise<ChainOpened<N>> {
  const { chain, me } = await openParts(ctx, needs, async () => undefined);
  return { ...sessionBase(ctx), ...(me ? { me } : {}), ...(chain ? { chain } : {}) } as ChainOpened<N>;
}
