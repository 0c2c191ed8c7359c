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
import { signWith } from './chain.js';
import { type ChainNeeds, type ChainOpened, openParts } from './chain-session.js';
import { scratchDir, storeFor } from './store.js';
import { type Unlocked, unlock } from './unlock.js';

/** What a command needs opened; one that needs no store opens a chain session (./chain-session.ts). */
export interface Needs extends ChainNeeds {
  /** Open the record store (--ipfs-api / --ipfs-gateway / embedded). */
  store?: boolean;
}

interface Parts {
  me: Unlocked;
  chain: EmrChain;
  store: RecordStore;
}

/** A session with some of its parts opened: a flow that signs on chain takes `With<'me' | 'chain'>`. */
export type With<K extends keyof Parts = never> = SessionBase & Pick<Parts, K>;

/**
 * Only the named fields of a session: what a use case's helper reads when a caller without a
 * whole session calls it too (the demo's four actors share one process, batch workers). Any
 * `With<…>` holding those fields fits, so a session is passed as it is, never rebuilt.
 */
export type Only<K extends keyof (SessionBase & Parts)> = Pick<SessionBase & Parts, K>;

type Opened<N extends Needs> = ChainOpened<N> & (N extends { store: true } ? { store: RecordStore } : { store?: RecordStore });

export async function openSession<const N extends Needs>(ctx: Context, needs: N): Promise<Opened<N>> {
  const { chain, me, extra: store } = await openParts(ctx, needs, async () => (needs.store ? await storeFor(ctx) : undefined));
  const base = sessionBase(ctx, needs.store ? await scratchDir(ctx) : undefined);
  return { ...base, ...(me ? { me } : {}), ...(chain ? { chain } : {}), ...(store ? { store } : {}) } as Opened<N>;
}

/**
 * `s` with the acting profile unlocked as the signer of its chain client: what `signer: true`
 * gives, for a caller that opened the chain read-only and starts this without awaiting it.
 * A batch validates its manifest (files hashed, chain questions asked) while the keystore's
 * scrypt runs off the main thread, ~0.4 s of every job (issue 11 goal 6); it never prompts
 * (MANIFEST.md § 8), so nothing else waits on the terminal meanwhile.
 */
export async function unlockSigner<S extends With<'chain'>>(s: S): Promise<S & { me: Unlocked }> {
  const chain = await signWith(s.ctx, s.chain);
  return { ...s, me: await unlock(s.ctx), chain };
}

export type { SessionBase, Unlocked };
