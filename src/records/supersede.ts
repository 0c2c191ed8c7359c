/**
 * Is this record superseded? (docs/FHIR.md § 5). The link lives only inside encrypted,
 * signed bundles, so the answer is what the reader can open: the later records of the
 * same patient and type (a correction keeps the type) whose signed `supersedes` names
 * this id. Bounded to the most recent SCAN_MAX of them; their metadata is cached.
 */
import type { RecordInfo } from '../chain/records.js';
import type { Only } from '../session/index.js';
import { listRecordsFlow } from './list.js';
import { slotsFor, vocabularyIndex } from './type-keys.js';

const SCAN_MAX = 50;

export async function findSupersededBy(s: Only<'home' | 'chain' | 'store' | 'me'>, rec: RecordInfo): Promise<string | undefined> {
  const t = vocabularyIndex(await slotsFor(s, rec.patient), rec.recordType);
  const res = await listRecordsFlow(s.chain, { patient: rec.patient, ...(t === undefined ? {} : { types: [t] }), limit: SCAN_MAX }, s);
  // The latest correction wins when several name the same record.
  const hits = res.records.filter((r) => r.supersedes === rec.id.toString() && BigInt(r.id) > rec.id);
  return hits.length ? hits[hits.length - 1]!.id : undefined;
}
