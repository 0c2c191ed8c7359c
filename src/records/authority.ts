/**
 * Was the author allowed to sign this? (docs/CLI.md § Records, `emr verify`): the patient
 * themself, or a provider that was verified — and not suspended — at the time. The history
 * comes from ProviderVerified / ProviderSuspended events, so a provider suspended later
 * does not retroactively invalidate what they signed while in good standing.
 */

import { addressTopic, blockTimes, queryEvents } from '../chain/logs.js';
import type { EmrChain } from '../chain/types.js';

export interface Authority {
  ok: boolean;
  reason: 'patient' | 'verified-provider' | 'never-verified' | 'suspended-at-the-time' | 'not-yet-verified-at-the-time';
}

export async function authorityAt(chain: EmrChain, author: string, patient: string, unixTime: number): Promise<Authority> {
  if (author.toLowerCase() === patient.toLowerCase()) return { ok: true, reason: 'patient' };
  const events = await queryEvents(chain, {
    names: ['ProviderVerified', 'ProviderSuspended'],
    topics: [addressTopic(author)],
    fromBlock: chain.fromBlock,
  });
  if (events.length === 0) return { ok: false, reason: 'never-verified' };
  const times = await blockTimes(
    chain,
    events.map((e) => e.blockNumber),
  );
  let state: 'none' | 'verified' | 'suspended' = 'none';
  for (const e of events) {
    if ((times.get(e.blockNumber) ?? 0) > unixTime) break;
    state = e.name === 'ProviderVerified' ? 'verified' : 'suspended';
  }
  if (state === 'verified') return { ok: true, reason: 'verified-provider' };
  return { ok: false, reason: state === 'suspended' ? 'suspended-at-the-time' : 'not-yet-verified-at-the-time' };
}
