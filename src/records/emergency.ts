/** Break-glass key release (docs/SHARING.md § 4.2). */

import { emergencyRecipient } from '../chain/emergency-recipient.js';
import { grantOf } from '../chain/grants.js';
import { listRecords } from '../chain/records.js';
import { checkReleaseEmergencyKeys, releaseEmergencyKeys } from '../chain/release-emergency-keys.js';
import { requireAdmin } from '../chain/require-admin.js';
import type { EmrChain } from '../chain/types.js';
import { whois } from '../chain/whois.js';
import { AccessDeniedError, UsageError } from '../errors.js';
import { failpoint } from '../failpoint.js';
import type { RecordStore } from '../ipfs/store.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import type { Unlocked } from '../session/unlock.js';
import { deliverKeys } from './share.js';

/**
 * SHARING.md § 4.2: the consortium key custodian (an admin whose age identity is the
 * published emergency recipient) delivers the file keys of a patient's emergency-visible
 * records to a provider whose emergency is open. Records not encrypted to the consortium
 * (added before the type was made emergency-visible) cannot be released and are listed.
 */
export async function releaseEmergency(
  deps: { chain: EmrChain; store: RecordStore; me: Unlocked },
  patient: string,
  provider: string,
): Promise<{ released: string[]; unavailable: string[]; keyDeliveryCid: string | null; txHash: string | null; expiresAt: string }> {
  const g = await grantOf(deps.chain, patient, provider);
  if (!g.emergencyOpen) {
    throw new AccessDeniedError('no emergency is open for this patient and provider', {
      hint: 'the provider must run `emr emergency open <patient> --reason …` first',
    });
  }
  const published = await emergencyRecipient(deps.chain);
  if (published !== deps.me.age.recipient) {
    throw new UsageError('this profile does not hold the consortium emergency key', {
      hint: 'run as the admin whose key `emr admin emergency-recipient` published',
    });
  }
  // SHARING.md § 4.2: the contract's refusal (suspended provider, emergency closed since)
  // comes before anything is stored, so a refused release leaves no block behind.
  await checkReleaseEmergencyKeys(deps.chain, { patient, provider });
  const pat = await whois(deps.chain, patient);
  const visible = (await listRecords(deps.chain, { patient })).filter((r) => (pat.emergencyTypes >>> r.recordType) & 1);
  const d = await deliverKeys(deps, provider, visible, { patient });
  const unavailable = d.skipped.map((s) => s.id);
  const expiresAt = new Date(g.emergencyUntil * 1000).toISOString();
  if (!d.cid) return { released: [], unavailable, keyDeliveryCid: null, txHash: null, expiresAt };
  failpoint('emergency-release.after-store'); // TESTING.md § Failpoints
  const tx = await releaseEmergencyKeys(deps.chain, { patient, provider, keyDelivery: d.digest });
  return { released: d.delivered, unavailable, keyDeliveryCid: d.cid, txHash: tx.txHash, expiresAt };
}

/** `emr admin emergency release <patient> <provider>`: the admin check, then the release (§ 4.2). */
export async function releaseEmergencyFlow(s: With<'me' | 'chain' | 'store'>, patientArg: string, providerArg: string) {
  const patient = await resolveAddress(s.ctx, patientArg);
  const provider = await resolveAddress(s.ctx, providerArg);
  await requireAdmin(s.chain);
  return { patient, provider, ...(await releaseEmergency(s, patient, provider)) };
}
