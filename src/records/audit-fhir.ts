/**
 * `emr audit --format fhir` (docs/FHIR.md § 10): the audit trail the command selected, as
 * one FHIR R4 `collection` Bundle of AuditEvent resources, validated before anything is
 * printed.
 */
import { type AuditEvent, type AuditQuery, auditEvents } from '../chain/audit.js';
import { partsToCid } from '../chain/cid.js';
import type { EmrChain } from '../chain/types.js';
import { InternalError } from '../errors.js';
import { auditEventBundle, type RecordRef } from '../fhir/audit-event.js';
import type { FhirResource } from '../fhir/detect.js';
import { findFhirError } from '../fhir/validate.js';
import { eventTypeNames } from '../record-types.js';

interface Known {
  patient: string;
  type: string;
  cid: string | undefined;
}

function cidOf(codec: unknown, digest: unknown): string | undefined {
  try {
    return partsToCid({ cidCodec: Number(codec), digest: String(digest) });
  } catch {
    return undefined; // a digest that is no sha2-256: the record is named by id only
  }
}

/**
 * For each event, the records it names with their type and CID as of that event, from
 * the `RecordAdded` and `RecordRekeyed` events of the same trail (a re-key counts only
 * when the record's own patient emitted it, as in chain/records.ts). A record whose
 * `RecordAdded` is outside the trail (`--since`) is named by id only (FHIR.md § 10.1).
 */
export function recordsByEvent(events: readonly AuditEvent[]): Map<AuditEvent, RecordRef[]> {
  const known = new Map<string, Known>();
  const ref = (id: string, type?: string): RecordRef => {
    const k = known.get(id);
    const t = type ?? k?.type;
    return { id, ...(t ? { type: t } : {}), ...(k?.cid ? { cid: k.cid } : {}) };
  };
  const out = new Map<AuditEvent, RecordRef[]>();
  for (const e of events) {
    const f = e.fields;
    if (e.kind === 'RecordAdded') {
      const id = String(f.id);
      if (!known.has(id))
        known.set(id, { patient: String(f.patient).toLowerCase(), type: eventTypeNames(e).recordType!, cid: cidOf(f.cidCodec, f.digest) });
      out.set(e, [ref(id)]);
    } else if (e.kind === 'RecordRekeyed') {
      const id = String(f.id);
      const k = known.get(id);
      if (k && k.patient === String(f.patient).toLowerCase()) k.cid = cidOf(f.cidCodec, f.digest);
      out.set(e, [k && k.patient === String(f.patient).toLowerCase() ? ref(id) : { id }]);
    } else if (e.kind === 'RecordAccessed') {
      // A forged receipt names a record that does not match it: only its id is repeated.
      out.set(e, [e.flag ? { id: String(f.recordId) } : ref(String(f.recordId), eventTypeNames(e).recordType)]);
    } else if (e.kind === 'RecordsGranted' && Array.isArray(f.ids)) {
      out.set(
        e,
        f.ids.map((id) => ref(String(id))),
      );
    }
  }
  return out;
}

/**
 * The events of `query` that `select` keeps (the command's scope and filters, in order), as a
 * validated Bundle. An output that does not validate is a bug (exit 1), never printed.
 */
export async function auditFhirBundle(
  chain: EmrChain,
  query: AuditQuery,
  select: (all: AuditEvent[]) => AuditEvent[],
  now: Date,
  named: (e: AuditEvent) => AuditEvent = (e) => e,
  prepare: (events: readonly AuditEvent[]) => Promise<void> = async () => {},
): Promise<Record<string, unknown>> {
  // Slot fields named where the reader holds the patient's type key (CONTRACT.md § Privacy).
  const raw = await auditEvents(chain, query);
  await prepare(raw);
  const all = raw.map(named);
  const records = recordsByEvent(all);
  const bundle = auditEventBundle(select(all), { chainId: chain.chainId.toString(), contract: chain.address }, now, (e) =>
    records.get(e as AuditEvent),
  );
  const err = findFhirError(bundle as FhirResource);
  if (err) throw new InternalError(`the AuditEvent output does not validate as FHIR R4: ${err.path}: ${err.message}`);
  return bundle;
}

// Characters a terminal acts on (output.ts UNSAFE), written as JSON \u escapes: the text
// stays valid JSON with the same value, and a hostile reason cannot move the cursor.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Indented JSON for a terminal: JSON.stringify escapes C0 controls; the rest are escaped here. */
export function terminalJson(value: unknown): string[] {
  return JSON.stringify(value, null, 1)
    .replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .split('\n');
}
