/**
 * The consortium's emergency recipient (docs/SHARING.md § 4): admins publish it with
 * `setEmergencyRecipient`; the string is read from the latest event.
 */
import { queryEvents } from './logs.js';
import type { EmrChain } from './types.js';

export async function emergencyRecipient(chain: EmrChain): Promise<string | null> {
  const events = await queryEvents(chain, { names: ['EmergencyRecipientSet'], fromBlock: chain.fromBlock });
  const last = events.at(-1);
  return last ? String(last.args[1]) : null;
}
