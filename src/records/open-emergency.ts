/**
 * `emr emergency open <patient>`, the whole use case (docs/CLI.md § Sharing): break-glass
 * read access for a verified provider for the contract's fixed window, to the types the
 * patient made emergency-visible; always logged on chain with the reason. Unverified,
 * suspended or unregistered providers: the contract says which (exit 3).
 */
import { openEmergency } from '../chain/open-emergency.js';
import { whois } from '../chain/whois.js';
import { UNKEYED } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';

export async function openEmergencyFlow(s: With<'chain'>, input: { who: string; reason: string }) {
  const patient = await resolveAddress(s.ctx, input.who);
  const sent = await openEmergency(s.chain, { patient, reason: input.reason });
  // An ER reader holds no key to the patient's slots (CONTRACT.md § Privacy): it learns the
  // types from the records it opens; the mask shows as unknown slots.
  const types = UNKEYED.fromMask((await whois(s.chain, patient)).emergencyTypes);
  return { patient, expiresAt: new Date(sent.expiresAt * 1000).toISOString(), types, reason: input.reason, txHash: sent.txHash };
}
