/**
 * `emr access deny <requestId>` (docs/CLI.md § Sharing): the patient refuses a request. A
 * decided request stays decided: denying again is the contract's RequestAlreadyDecided
 * (exit 3); a request that is not addressed to you is exit 7.
 */
import { NotFoundError, UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const accessDeny = defineCommand({
  name: 'deny',
  summary: 'refuse a provider’s access request (patient)',
  args: ['<requestId>'],
  async run(ctx, [idArg]: [string]) {
    if (!/^\d+$/.test(idArg) || BigInt(idArg) === 0n) throw new UsageError(`not a request id: ${idArg}`, { hint: 'see `emr access list`' });
    const { chainFor } = await import('../../session/chain.js');
    const { listRequests } = await import('../../chain/requests.js');
    const { denyRequest } = await import('../../chain/deny-request.js');
    const chain = await chainFor(ctx, { signer: true });
    const me = await chain.signer!.getAddress();
    const req = (await listRequests(chain, { patient: me })).find((r) => r.requestId === BigInt(idArg));
    if (!req) throw new NotFoundError(`no request ${idArg} addressed to you`, { hint: 'see `emr access list --all`' });
    // Already decided: let the contract refuse (RequestAlreadyDecided → exit 3), one source of truth.
    const tx = await denyRequest(chain, { requestId: req.requestId });
    const name = ctx.profiles.byAddress(req.provider)?.name;
    return {
      data: { requestId: idArg, patient: me, provider: req.provider, state: 'denied', txHash: tx.txHash },
      view: { title: `Denied request ${idArg} from ${name ? `${req.provider} (${name})` : req.provider}`, fields: [['tx', tx.txHash]] },
    };
  },
});
