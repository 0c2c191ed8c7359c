/**
 * `emr access request <patient>`, the whole use case (docs/CLI.md § Sharing): a provider
 * asks a patient for read access to some types; the contract refuses non-providers,
 * suspended providers and non-patients (exit 3).
 */
import { requestAccess } from '../chain/request-access.js';
import { whois } from '../chain/whois.js';
import { UsageError } from '../errors.js';
import { maskToTypes } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { MAX_SEALED_LENGTH, SEALED_MASK, sealRequest } from './sealed-request.js';

export async function requestAccessFlow(s: With<'chain'>, input: { who: string; readMask: number; reason: string }) {
  const patient = await resolveAddress(s.ctx, input.who);
  const types = maskToTypes(input.readMask);
  // CONTRACT.md § Privacy: the types and the reason go sealed to the patient; the chain sees
  // a request for every slot, the same for every request.
  const info = await whois(s.chain, patient);
  // Not a registered patient: nothing to seal to; the contract's refusal says why (exit 3).
  const sealed = info.recipient ? await sealRequest(info.recipient, { types, reason: input.reason }) : '';
  if (sealed.length > MAX_SEALED_LENGTH) throw new UsageError('the request is too long to seal', { hint: 'shorten --reason' });
  const sent = await requestAccess(s.chain, { patient, readMask: SEALED_MASK, reason: sealed });
  return { requestId: sent.requestId.toString(), patient, types, reason: input.reason, txHash: sent.txHash };
}
