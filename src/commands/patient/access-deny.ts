/**
 * `emr access deny <requestId>` (docs/CLI.md § Sharing): the patient refuses a request. A
 * decided request stays decided: denying again is the contract's RequestAlreadyDecided
 * (exit 3); a request that is not addressed to you is exit 7.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const accessDeny = defineCommand({
  name: 'deny',
  summary: 'refuse a provider’s access request (patient)',
  args: ['<requestId>'],
  async run(ctx, [idArg]: [string]) {
    if (!/^\d+$/.test(idArg) || BigInt(idArg) === 0n) throw new UsageError(`not a request id: ${idArg}`, { hint: 'see `emr access list`' });
    const [{ openChainSession }, { denyRequestFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/deny-request.js'),
    ]);
    const s = await openChainSession(ctx, { signer: true });
    const data = await denyRequestFlow(s, idArg);
    return {
      data,
      view: { title: `Denied request ${idArg} from ${ctx.label(data.provider, 'withAddress')}`, fields: [['tx', data.txHash]] },
    };
  },
});
