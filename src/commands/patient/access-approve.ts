/**
 * `emr access approve <requestId> [--expires]` (docs/CLI.md § Sharing): the patient approves a
 * provider's request; like `grant`, the keys of existing records in the requested types are
 * delivered to the provider alone.
 */
import { NotFoundError, UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const accessApprove = defineCommand({
  name: 'approve',
  summary: 'approve a provider’s access request (delivers the keys it covers)',
  args: ['<requestId>'],
  options: [{ flags: '--expires <when>', description: 'a duration (30d, 12h, 2w, 1y) or an ISO date', default: '90d' }],
  async run(ctx, [idArg]: [string], opts: { expires: string }) {
    if (!/^\d+$/.test(idArg)) throw new UsageError(`not a request id: ${idArg}`, { hint: 'see `emr access list`' });
    const { parseExpiry } = await import('../../records/expiry.js');
    const expiry = parseExpiry(opts.expires, ctx.clock.now());
    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor, scratchDir } = await import('../../session/store.js');
    const { listRequests } = await import('../../chain/requests.js');
    const { approveRequest } = await import('../../chain/approve-request.js');
    const share = await import('../../records/share.js');
    const { maskToTypes } = await import('../../record-types.js');
    const me = await unlock(ctx);
    const chain = await chainFor(ctx, { signer: true });
    const req = (await listRequests(chain, { patient: me.profile.address })).find((r) => r.requestId === BigInt(idArg));
    if (!req) throw new NotFoundError(`no request ${idArg} addressed to you`, { hint: 'see `emr access list`' });
    if (req.state === 'approved') {
      // Idempotent retry: an earlier run's transaction was mined but its answer was lost
      // (the chain or the connection died after broadcast). The patient's decision stands;
      // sending again would only be refused as "already decided".
      return {
        data: { requestId: idArg, provider: req.provider, types: maskToTypes(req.readMask), expiresAt: null, keysDelivered: 0, txHash: null, alreadyApproved: true },
        view: { title: `Request ${idArg} is already approved; nothing was sent`, warnings: [] },
      };
    }
    const deps = { chain, store: await storeFor(ctx), me, scratch: await scratchDir(ctx) };
    const inScope = await share.recordsInScope(chain, me.profile.address, { readMask: req.readMask });
    const delivery = await share.deliverKeys(deps, req.provider, inScope);
    const tx = await approveRequest(chain, { requestId: req.requestId, expiry, keyDelivery: delivery.digest });
    const expiresAt = new Date(expiry * 1000).toISOString();
    return {
      data: { requestId: idArg, provider: req.provider, types: maskToTypes(req.readMask), expiresAt, keysDelivered: delivery.delivered, skipped: delivery.skipped, txHash: tx.txHash, alreadyApproved: false },
      view: { title: `Approved request ${idArg} from ${ctx.profiles.byAddress(req.provider)?.name ?? req.provider}`, fields: [['types', maskToTypes(req.readMask).join(',')], ['until', expiresAt], ['tx', tx.txHash]], warnings: delivery.skipped.map((k) => `record ${k.id} skipped (its key was not delivered): ${k.reason}`) },
    };
  },
});
