/**
 * A session for a command that works on local files only (`emr decrypt`, `emr encrypt` to
 * age1… recipients and profiles): the base and, when asked, the unlocked profile. It imports
 * neither the chain client (ethers, ~0.3 s to load) nor the record store (the IPFS stack), so
 * such a command loads neither (issue 11). `openSession` (./index.ts) is the one that opens them.
 */
import type { Context } from '../context.js';
import { type SessionBase, sessionBase } from './base.js';
import { type Unlocked, unlock } from './unlock.js';

export async function openLocalSession<const U extends boolean>(
  ctx: Context,
  needs: { unlock: U; profile?: string },
): Promise<SessionBase & (U extends true ? { me: Unlocked } : { me?: Unlocked })> {
  const me = needs.unlock ? await unlock(ctx, needs.profile) : undefined;
  return { ...sessionBase(ctx), ...(me ? { me } : {}) } as SessionBase & (U extends true ? { me: Unlocked } : { me?: Unlocked });
}
