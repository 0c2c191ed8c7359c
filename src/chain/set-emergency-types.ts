/** setEmergencyTypes: the patient chooses which types break-glass readers may read. */
import { checkMask } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function setEmergencyTypes(chain: EmrChain, params: { mask: number }): Promise<SentTx> {
  return send(chain, 'setEmergencyTypes', [checkMask(params.mask)]);
}
