/**
 * `emr access request <patient>`, the whole use case (docs/CLI.md § Sharing): a provider
 * asks a patient for read access to some types; the contract refuses non-providers,
 * suspended providers and non-patients (exit 3).
 */
import { requestAccess } from '../chain/request-access.js';
import { maskToTypes } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';

export async function requestAccessFlow(s: With<'chain'>, input: { who: string; readMask: number; reason: string }) {
  const patient = await resolveAddress(s.ctx, input.who);
  const sent = await requestAccess(s.chain, { patient, readMask: input.readMask, reason: input.reason });
  return { requestId: sent.requestId.toString(), patient, types: maskToTypes(input.readMask), reason: input.reason, txHash: sent.txHash };
}
