/** What `emr grant <provider>` tells a person (docs/SHARING.md § 2): scope, keys delivered, skipped records. */
import type { View } from '../../output.js';
import type { GrantInput } from '../../records/share.js';

export function grantView(
  name: string,
  input: GrantInput,
  res: { expiresAt: string; keysDelivered: string[]; skipped: Array<{ id: string; reason: string }>; txHashes: string[] },
): View {
  return {
    title: `Granted ${name} access until ${res.expiresAt}`,
    fields: [
      ['types', input.types.join(',') || '-'],
      ['records', input.ids.join(',') || '-'],
      ['write', input.write],
      ['keys delivered', res.keysDelivered.length ? `${res.keysDelivered.length} existing record(s)` : 'none needed'],
      ['tx', res.txHashes.join(', ')],
    ],
    // SHARING.md § 2.6: a record whose key could not be read is named; the rest is shared.
    warnings: [
      ...res.skipped.slice(0, 5).map((s) => `record ${s.id} skipped (its key was not delivered): ${s.reason}`),
      ...(res.skipped.length > 5 ? [`… and ${res.skipped.length - 5} more skipped (use --json for all)`] : []),
    ],
  };
}
