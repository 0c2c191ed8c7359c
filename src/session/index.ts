/**
 * One command run's session: opened once by a command with what it needs, then handed to
 * one flow that owns the use case. It gathers the acting identity (unlocked), the chain
 * client, the record store, a scratch directory and the clock, so flows take one object
 * instead of hand-built dependency bags.
 *
 * Order (docs/CLI.md § Global behaviour): the chain and the store are reached before any
 * passphrase is asked for, so an unreachable endpoint is UNAVAILABLE (exit 6) without a
 * prompt; the passphrase is asked at most once per run (unlock caches on the context).
 */
import type { EmrChain } from '../chain/types.js';
import type { Context } from '../context.js';
import type { RecordStore } from '../ipfs/store.js';
import { type SessionBase, sessionBase } from './base.js';
import { chainFor } from './chain.js';
import { scratchDir, storeFor } from './store.js';
import { type Unlocked, unlock } from './unlock.js';

export interface Needs {
  /** Unlock the acting profile (to decrypt or sign off-chain). */
  unlock?: boolean;
  /** Connect to the chain with the acting profile as the transaction signer (implies unlock). */
  signer?: boolean;
  /** Connect to the chain read-only. */
  chain?: boolean;
  /** Open the record store (--ipfs-api / --ipfs-gateway / embedded). */
  store?: boolean;
  /** A profile other than the acting one (`--profile` of a subcommand). */
  profile?: string;
}

interface Parts {
  me: Unlocked;
  chain: EmrChain;
  store: RecordStore;
}

/** A session with some of its parts opened: a flow that signs on chain takes `With<'me' | 'chain'>`. */
export type With<K extends keyof Parts = never> = SessionBase & Pick<Parts, K>;

type Opened<N extends Needs> = SessionBase &
  (N extends { unlock: true } | { signer: true } ? { me: Unlocked } : { me?: Unlocked }) &
  (N extends { chain: true } | { signer: true } ? { chain: EmrChain } : { chain?: EmrChain }) &
  (N extends { store: true } ? { store: RecordStore } : { store?: RecordStore });

export async function openSession<const N extends Needs>(ctx: Context, needs: N): Promise<Opened<N>> {
  const chain = needs.chain || needs.signer ? await chainFor(ctx, { signer: needs.signer, profile: needs.profile }) : undefined;
  const store = needs.store ? await storeFor(ctx) : undefined;
  const me = needs.unlock || needs.signer ? await unlock(ctx, needs.profile) : undefined;
  const base = sessionBase(ctx, needs.store ? await scratchDir(ctx) : undefined);
  return { ...base, ...(me ? { me } : {}), ...(chain ? { chain } : {}), ...(store ? { store } : {}) } as Opened<N>;
}

export type { SessionBase, Unlocked };
