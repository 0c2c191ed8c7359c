/** setEmergencyRecipient: admins publish the consortium emergency age recipient. */
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function setEmergencyRecipient(chain: EmrChain, params: { recipient: string }): Promise<SentTx> {
  return send(chain, 'setEmergencyRecipient', [params.recipient]);
}
