/**
 * releaseEmergencyKeys: a consortium admin delivers the file keys of a patient's
 * emergency-visible records to a provider whose emergency is open (SHARING.md § 4.2).
 */
import { checkBytes32, parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function releaseEmergencyKeys(chain: EmrChain, params: { patient: string; provider: string; keyDelivery: string }): Promise<SentTx> {
  return send(chain, 'releaseEmergencyKeys', [
    parseAddress(params.patient, 'patient'),
    parseAddress(params.provider, 'provider'),
    checkBytes32(params.keyDelivery, 'key delivery digest'),
  ]);
}
