/**
 * The organisation a record names (docs/FORMAT.md § 3.5) as the views show it (docs/SHARING.md
 * § 9.7): the signed org id with the name the chain gave that org. Names are hostile chain
 * text: returned raw here; a terminal view escapes them (output.ts safeText), `--json` has
 * them exact.
 */
import { orgNames } from '../chain/org-state.js';
import { listRecords } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';
import type { Only } from '../session/index.js';
import { MetaCache } from './meta-cache.js';
import type { OrgLabel } from './org-text.js';

export { type OrgLabel, orgText, withOrgColumn } from './org-text.js';

/** Patients whose records one audit looks up in the cache (a bound on chain reads for `--all`). */
const MAX_PATIENTS = 16;

/** Labels for these org ids (decimal; anything else is ignored), one chain query for all. */
export async function orgLabels(chain: EmrChain, ids: Iterable<string | undefined | null>): Promise<Map<string, OrgLabel>> {
  const want = [...new Set([...ids].filter((x): x is string => typeof x === 'string' && /^[1-9]\d{0,17}$/.test(x)))];
  if (!want.length) return new Map();
  const names = await orgNames(chain, want);
  return new Map(want.map((id) => [id, { id, name: names.get(id) ?? null }]));
}

/**
 * Record id → org id for the records of these patients whose signed metadata this profile
 * verified before (its encrypted details cache, FHIR.md § 6: filled by `record list
 * --details`, `history`). Nothing is decrypted or fetched here: `audit` stays a chain read.
 */
export async function cachedRecordOrgs(s: Only<'home' | 'chain' | 'me'>, patients: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const list = [...new Set([...patients].map((p) => p.toLowerCase()))].slice(0, MAX_PATIENTS);
  if (!list.length) return out;
  const cache = await MetaCache.open(s);
  for (const patient of list) {
    for (const rec of await listRecords(s.chain, { patient })) {
      // A re-key changes the CID, not the signed metadata: any of its CIDs answers.
      const org = [rec.cid, ...rec.pastCids].map((c) => cache.get(c)?.meta.org).find((o) => o !== undefined);
      if (org) out.set(rec.id.toString(), org);
    }
  }
  return out;
}
