/**
 * `emr report disclosures` (docs/SHARING.md § 7; HIPAA 45 CFR 164.528, GDPR Art. 15): an
 * accounting of who was given or took access to a patient's records in a period — each
 * read receipt, grant (directly or by approving a request), break-glass opening and
 * emergency key release — with who, what record, when and on what authority, read from the
 * chain's audit trail (records/audit.ts; the decoded rows: type names, never raw masks).
 *
 * What a row proves (SHARING.md § 7): a read receipt (`evidence: "receipt"`) proves that
 * its reader could read that record when it was logged; receipts are voluntary, so the
 * other rows (`evidence: "inferred"`) are accesses inferred from grants and key deliveries:
 * the records whose keys the grantee was given, whether or not they opened them. The
 * patient's own reads are not disclosures and are left out; a forged receipt is no read.
 */
import { UsageError } from '../errors.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { type AuditRow, auditTrail } from './audit.js';

export type DisclosureKind = 'read' | 'grant' | 'emergency' | 'release';
/** On what authority: the patient's grant, an approved request, break-glass, the record's author, or none live on chain. */
export type Authority = 'grant' | 'request' | 'emergency' | 'author' | 'none';

export interface Disclosure {
  time: string;
  block: number;
  txHash: string;
  kind: DisclosureKind;
  /** Who was given or took access, and their local profile name (null when none). */
  who: string;
  whoName: string | null;
  /** The records concerned (for a grant: those existing then of its types, or its record ids). */
  records: string[];
  types: string[];
  authority: Authority;
  requestId: string | null;
  evidence: 'receipt' | 'inferred';
  detail: string;
}

export interface DisclosureReport {
  patient: string;
  since: string;
  until: string;
  disclosures: Disclosure[];
  counts: { reads: number; grants: number; emergencies: number; releases: number };
  note: string;
}

export const DISCLOSURE_NOTE =
  'reads marked "receipt" are proven by an on-chain read receipt; receipts are voluntary (`fetch --no-receipt`), so other accesses are inferred (marked "inferred") from grants and key deliveries: the grantee could open those records, whether or not they did. A grant also covers records of its types added later while it is live.';

interface Live {
  types: Set<string>;
  records: Set<string>;
  until: number;
  requestId: string | null;
}

const secs = (iso: unknown) => Date.parse(String(iso)) / 1000;
const lower = (a: string | null | undefined) => (a ?? '').toLowerCase();

/** Walks the patient's whole trail (authority needs what came before the period) and keeps the period's disclosures. */
export function disclosuresOf(
  rows: readonly AuditRow[],
  patient: string,
  since: number,
  until: number,
  name: (a: string) => string | null,
): Disclosure[] {
  const records = new Map<string, { type: string; author: string }>();
  const grants = new Map<string, Live>();
  const emergencies = new Map<string, number>();
  let emergencyTypes: string[] = [];
  const requestOfTx = new Map(rows.filter((r) => r.event === 'request-approved').map((r) => [r.txHash, String(r.details.requestId)]));
  const ofTypes = (types: readonly string[]) => [...records].filter(([, r]) => types.includes(r.type)).map(([id]) => id);
  const out: Disclosure[] = [];
  for (const r of rows) {
    const t = secs(r.time);
    const inPeriod = t >= since && t <= until;
    const emit = (d: Omit<Disclosure, 'time' | 'block' | 'txHash' | 'whoName'>) => {
      if (inPeriod) out.push({ time: r.time, block: r.block, txHash: r.txHash, whoName: name(d.who), ...d });
    };
    const subject = r.subject ?? '';
    switch (r.event) {
      case 'record-added':
        records.set(String(r.recordId), { type: String(r.details.type), author: r.actor });
        break;
      case 'granted': {
        const types = (r.details.readTypes as string[] | undefined) ?? [];
        const prev = grants.get(lower(subject));
        const requestId = requestOfTx.get(r.txHash) ?? null;
        grants.set(lower(subject), {
          types: new Set(types),
          records: prev?.records ?? new Set(),
          until: secs(r.details.expiry),
          requestId,
        });
        if (types.length)
          emit({
            kind: 'grant',
            who: subject,
            records: ofTypes(types),
            types,
            authority: requestId ? 'request' : 'grant',
            requestId,
            evidence: 'inferred',
            detail: r.description,
          });
        break;
      }
      case 'records-granted': {
        const ids = ((r.details.ids as unknown[]) ?? []).map(String);
        const g = grants.get(lower(subject)) ?? { types: new Set<string>(), records: new Set<string>(), until: 0, requestId: null };
        for (const id of ids) g.records.add(id);
        g.until = Math.max(g.until, secs(r.details.expiry));
        grants.set(lower(subject), g);
        emit({
          kind: 'grant',
          who: subject,
          records: ids,
          types: [],
          authority: 'grant',
          requestId: null,
          evidence: 'inferred',
          detail: r.description,
        });
        break;
      }
      case 'revoked':
        grants.delete(lower(subject));
        break;
      case 'emergency-types-set':
        emergencyTypes = (r.details.types as string[] | undefined) ?? [];
        break;
      case 'emergency-opened':
        emergencies.set(lower(r.actor), secs(r.details.expiresAt));
        emit({
          kind: 'emergency',
          who: r.actor,
          records: ofTypes(emergencyTypes),
          types: emergencyTypes,
          authority: 'emergency',
          requestId: null,
          evidence: 'inferred',
          detail: r.description,
        });
        break;
      case 'emergency-keys-released':
        emit({
          kind: 'release',
          who: subject,
          records: ofTypes(emergencyTypes),
          types: emergencyTypes,
          authority: 'emergency',
          requestId: null,
          evidence: 'inferred',
          detail: r.description,
        });
        break;
      case 'record-accessed': {
        const reader = r.actor;
        if (r.details.forged || lower(reader) === lower(patient)) break;
        const id = String(r.recordId);
        const rec = records.get(id);
        const g = grants.get(lower(reader));
        let authority: Authority = 'none';
        if (rec && lower(rec.author) === lower(reader)) authority = 'author';
        else if (g && g.until >= t && (g.records.has(id) || (rec !== undefined && g.types.has(rec.type))))
          authority = g.requestId ? 'request' : 'grant';
        else if ((emergencies.get(lower(reader)) ?? 0) >= t) authority = 'emergency';
        const requestId = authority === 'request' ? (g?.requestId ?? null) : null;
        emit({
          kind: 'read',
          who: reader,
          records: [id],
          types: rec ? [rec.type] : [],
          authority,
          requestId,
          evidence: 'receipt',
          detail: r.description,
        });
        break;
      }
    }
  }
  return out;
}

export async function disclosureReport(
  s: With<'chain'>,
  input: { patient?: string; since: number; until: number },
): Promise<DisclosureReport> {
  if (!input.patient && s.ctx.profile().role !== 'patient')
    throw new UsageError('whose disclosures? you are not a patient', { hint: 'name the patient: --patient <who>' });
  const patient = input.patient ? await resolveAddress(s.ctx, input.patient) : s.ctx.profile().address;
  const { events } = await auditTrail(s, { patient });
  const byAddr = new Map(s.ctx.profiles.list().map((p) => [p.address.toLowerCase(), p.name]));
  const disclosures = disclosuresOf(events, patient, input.since, input.until, (a) => byAddr.get(a.toLowerCase()) ?? null);
  const count = (k: DisclosureKind) => disclosures.filter((d) => d.kind === k).length;
  return {
    patient,
    since: new Date(input.since * 1000).toISOString(),
    until: new Date(input.until * 1000).toISOString(),
    disclosures,
    counts: { reads: count('read'), grants: count('grant'), emergencies: count('emergency'), releases: count('release') },
    note: DISCLOSURE_NOTE,
  };
}
