/**
 * `emr access approve <requestId>`, the whole use case (docs/CLI.md § Sharing): the patient
 * approves a provider's request; like a grant (share.ts), the keys of existing records in
 * the requested types are delivered to the provider alone (docs/SHARING.md § 2).
 */
import { approveRequest } from '../chain/approve-request.js';
import { listRequests } from '../chain/requests.js';
import { NotFoundError } from '../errors.js';
import { maskToTypes } from '../record-types.js';
import type { With } from '../session/index.js';
import { deliverKeys, recordsInScope } from './share.js';

export async function approveRequestFlow(s: With<'me' | 'chain' | 'store'>, input: { requestId: string; expiry: number }) {
  const patient = s.me.profile.address;
  const req = (await listRequests(s.chain, { patient })).find((r) => r.requestId === BigInt(input.requestId));
  if (!req) throw new NotFoundError(`no request ${input.requestId} addressed to you`, { hint: 'see `emr access list`' });
  const base = { requestId: input.requestId, provider: req.provider, types: maskToTypes(req.readMask) };
  if (req.state === 'approved') {
    // Idempotent retry: an earlier run's transaction was mined but its answer was lost
    // (the chain or the connection died after broadcast). The patient's decision stands;
    // sending again would only be refused as "already decided".
    return { ...base, expiresAt: null, keysDelivered: 0, txHash: null, alreadyApproved: true as const };
  }
  const inScope = await recordsInScope(s.chain, patient, { readMask: req.readMask });
  const delivery = await deliverKeys({ chain: s.chain, store: s.store, me: s.me }, req.provider, inScope);
  const tx = await approveRequest(s.chain, { requestId: req.requestId, expiry: input.expiry, keyDelivery: delivery.digest });
  return {
    ...base,
    expiresAt: new Date(input.expiry * 1000).toISOString(),
    keysDelivered: delivery.delivered,
    skipped: delivery.skipped,
    txHash: tx.txHash,
    alreadyApproved: false as const,
  };
}
