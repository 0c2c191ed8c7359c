/**
 * `emr access approve <requestId>`, the whole use case (docs/CLI.md § Sharing): the patient
 * approves a provider's request; like a grant (share.ts), the keys of existing records in
 * the requested types are delivered to the provider alone (docs/SHARING.md § 2).
 */
import { approveRequest, approveRequestAs } from '../chain/approve-request.js';
import { listRequests } from '../chain/requests.js';
import { IntegrityError, NotFoundError } from '../errors.js';
import { maskToTypes } from '../record-types.js';
import type { With } from '../session/index.js';
import { isSealed, openSealedRequest } from './sealed-request.js';
import { deliverKeys, recordsInScope } from './share.js';
import { ownTypeKey, slotsFor } from './type-keys.js';

export async function approveRequestFlow(s: With<'me' | 'chain' | 'store'>, input: { requestId: string; expiry: number }) {
  const patient = s.me.profile.address;
  const req = (await listRequests(s.chain, { patient })).find((r) => r.requestId === BigInt(input.requestId));
  if (!req) throw new NotFoundError(`no request ${input.requestId} addressed to you`, { hint: 'see `emr access list`' });
  // CONTRACT.md § Privacy: a sealed request names its types to the patient alone; the patient
  // approves with its own slots of them (padded), never the request's all-slot mask.
  const opened = isSealed(req.reason) ? await openSealedRequest(req.reason, s.me.age.identity) : undefined;
  const types = opened ? opened.types : isSealed(req.reason) ? [] : maskToTypes(req.readMask);
  const base = { requestId: input.requestId, provider: req.provider, types };
  if (req.state === 'approved') {
    // Idempotent retry: an earlier run's transaction was mined but its answer was lost
    // (the chain or the connection died after broadcast). The patient's decision stands;
    // sending again would only be refused as "already decided".
    return { ...base, expiresAt: null, keysDelivered: 0, txHash: null, alreadyApproved: true as const };
  }
  if (!types.length) {
    throw new IntegrityError(`request ${input.requestId} names no type you can read`, {
      hint: 'its sealed types do not open with your key: deny it (`emr access deny`) and ask the provider to request again',
    });
  }
  const slots = await slotsFor(s, patient);
  const readMask = slots.pad(slots.toMask(types));
  const inScope = await recordsInScope(s.chain, patient, { readMask });
  const typeKey = ownTypeKey(s.me);
  let delivery: Awaited<ReturnType<typeof deliverKeys>>;
  try {
    delivery = await deliverKeys(s, req.provider, inScope, { typeKey });
  } finally {
    typeKey.fill(0);
  }
  const tx = isSealed(req.reason)
    ? await approveRequestAs(s.chain, { requestId: req.requestId, readMask, expiry: input.expiry, keyDelivery: delivery.digest })
    : await approveRequest(s.chain, { requestId: req.requestId, expiry: input.expiry, keyDelivery: delivery.digest });
  return {
    ...base,
    expiresAt: new Date(input.expiry * 1000).toISOString(),
    keysDelivered: delivery.delivered,
    skipped: delivery.skipped,
    txHash: tx.txHash,
    alreadyApproved: false as const,
  };
}
