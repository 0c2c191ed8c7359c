/**
 * openEmergency: break-glass read access for a verified provider, for the contract's
 * fixed window, to the types the patient made emergency-visible. Always in the audit.
 */
import { UsageError } from '../errors.js';
import { parseAddress } from './params.js';
import { eventOf, send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function openEmergency(chain: EmrChain, params: { patient: string; reason: string }): Promise<SentTx & { expiresAt: number }> {
  if (params.reason.trim() === '') throw new UsageError('a reason is required', { hint: 'pass --reason <text>' });
  const sent = await send(chain, 'openEmergency', [parseAddress(params.patient, 'patient'), params.reason]);
  const expiresAt = Number(eventOf(sent, 'EmergencyOpened').args[2]);
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed, expiresAt };
}
