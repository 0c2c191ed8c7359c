/**
 * `emr access deny <requestId>`, the whole use case (docs/CLI.md § Sharing): the patient
 * refuses a request addressed to them (else exit 7). A decided request stays decided:
 * the contract refuses a second decision (RequestAlreadyDecided, exit 3), one source of truth.
 */
import { denyRequest } from '../chain/deny-request.js';
import { listRequests } from '../chain/requests.js';
import { NotFoundError } from '../errors.js';
import type { With } from '../session/index.js';

export async function denyRequestFlow(s: With<'me' | 'chain'>, requestId: string) {
  const patient = s.me.profile.address;
  const req = (await listRequests(s.chain, { patient })).find((r) => r.requestId === BigInt(requestId));
  if (!req) throw new NotFoundError(`no request ${requestId} addressed to you`, { hint: 'see `emr access list --all`' });
  const tx = await denyRequest(s.chain, { requestId: req.requestId });
  return { requestId, patient, provider: req.provider, state: 'denied' as const, txHash: tx.txHash };
}
