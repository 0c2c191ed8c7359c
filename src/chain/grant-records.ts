/** grantRecords: record-scoped read grants, ended all at once by the next `revoke`. */
import { UsageError } from '../errors.js';
import { checkBytes32, checkId, parseAddress, toUnixSeconds } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function grantRecords(
  chain: EmrChain,
  params: { provider: string; ids: readonly (bigint | number)[]; expiry: Date | number | bigint; keyDelivery?: string },
): Promise<SentTx> {
  if (params.ids.length === 0) throw new UsageError('no records to grant', { hint: 'pass --records id,id' });
  return send(chain, 'grantRecords', [
    parseAddress(params.provider, 'provider'),
    params.ids.map((id) => checkId(id)),
    toUnixSeconds(params.expiry),
    checkBytes32(params.keyDelivery, 'key delivery digest'),
  ]);
}
