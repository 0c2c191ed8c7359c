/**
 * What `emr revoke` tells a person (docs/SHARING.md § 3): the transaction, what the provider
 * could read and did fetch (copies cannot be recalled), what was re-keyed or skipped.
 */

import type { View } from '../../output.js';
import type { revokeAccessFlow } from '../../records/revoke-access.js';
import { summariseIds } from '../id-summary.js';

type Revoked = Omit<Awaited<ReturnType<typeof revokeAccessFlow>>, 'provider'>;

export function revokeView(
  name: string,
  { txHash, rekeyed, skipped, warnings, stillHeld, voidedDeliveries }: Revoked,
  rekey: boolean,
): View {
  return {
    title: `Revoked ${name}`,
    fields: [
      ['tx', txHash],
      ['records they could read', summariseIds(stillHeld.couldRead)],
      ['records they fetched', summariseIds(stillHeld.fetched)],
      [
        're-keyed',
        rekey
          ? summariseIds(
              rekeyed.map((r) => r.id),
              'nothing to re-key',
            )
          : 'no (pass --rekey)',
      ],
      // SHARING.md § 2.7: unsent signed grants it voided, whose key deliveries left the store.
      ...(voidedDeliveries.length
        ? [['unsent grants voided', `${voidedDeliveries.length} key delivery(ies) removed from your store`] as [string, string]]
        : []),
      ...(skipped.length ? [['not re-keyed', summariseIds(skipped.map((s) => s.id))] as [string, string]] : []),
    ],
    warnings: [
      ...(stillHeld.fetched.length
        ? [
            `${name} fetched ${stillHeld.fetched.length} record(s) before the revoke (${summariseIds(stillHeld.fetched)}): those copies cannot be recalled`,
          ]
        : []),
      ...(!rekey && stillHeld.couldRead.length
        ? ['without --rekey, keys already delivered still open the current ciphertexts if the provider kept them']
        : []),
      // SHARING.md § 3.7: what could not be opened is named, and a retry finishes the rest.
      ...skipped.slice(0, 5).map((s) => `record ${s.id} not re-keyed: ${s.reason}`),
      ...(skipped.length > 5 ? [`… and ${skipped.length - 5} more not re-keyed (use --json for all)`] : []),
      ...warnings,
    ],
  };
}
