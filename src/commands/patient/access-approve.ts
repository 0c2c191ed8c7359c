/**
 * `emr access approve <requestId> [--expires]` (docs/CLI.md § Sharing): the patient approves a
 * provider's request; like `grant`, the keys of existing records in the requested types are
 * delivered to the provider alone.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const accessApprove = defineCommand({
  name: 'approve',
  summary: 'approve a provider’s access request (delivers the keys it covers)',
  args: ['<requestId>'],
  options: [{ flags: '--expires <when>', description: 'a duration (30d, 12h, 2w, 1y) or an ISO date', default: '90d' }],
  async run(ctx, [idArg]: [string], opts: { expires: string }) {
    if (!/^\d+$/.test(idArg)) throw new UsageError(`not a request id: ${idArg}`, { hint: 'see `emr access list`' });
    const [{ openSession }, { parseExpiry }, { approveRequestFlow }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/expiry.js'),
      import('../../records/approve-request.js'),
    ]);
    const expiry = parseExpiry(opts.expires, ctx.clock.now());
    const s = await openSession(ctx, { signer: true, store: true });
    const data = await approveRequestFlow(s, { requestId: idArg, expiry });
    if (data.alreadyApproved) return { data, view: { title: `Request ${idArg} is already approved; nothing was sent`, warnings: [] } };
    return {
      data,
      view: {
        title: `Approved request ${idArg} from ${ctx.label(data.provider)}`,
        fields: [
          ['types', data.types.join(',')],
          ['until', data.expiresAt],
          ['tx', data.txHash],
        ],
        warnings: data.skipped.map((k) => `record ${k.id} skipped (its key was not delivered): ${k.reason}`),
      },
    };
  },
});
