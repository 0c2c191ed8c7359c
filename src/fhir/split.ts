/**
 * A FHIR resource or patient Bundle → typed emr records (docs/FHIR.md § 3, the mapping
 * table). One record per clinical resource, so a type-scoped grant (`grant --types lab`)
 * shares exactly the matching resources. The Patient resource (demographics) becomes its
 * own record of type `other`, never a part of every record (docs/FHIR.md § 4).
 */
import { UsageError } from '../errors.js';
import type { FhirResource } from './detect.js';
import { type BundleSubject, checkOnePatient } from './subject.js';

export interface FhirRecord {
  type: string;
  title: string;
  careDate?: string;
  /** The resource's JSON (compact), the record's content. */
  content: Buffer;
  resourceType: string;
  id?: string;
  /** The resources inside (type and id), for the command's report. */
  resources: { resourceType: string; id?: string }[];
}

/**
 * The file name a split record is stored under (FHIR.md § 3): `<file>.<type>.json` for each
 * part of a Bundle (`<file>.patient.json` for the Patient part), `<file>.json` for a single
 * resource. Only the last path segment is kept: the name is a label in the signed metadata,
 * not a path on anyone's disk. `record add` and `batch add` both name records by this.
 */
export function recordFileName(file: string, r: Pick<FhirRecord, 'resourceType' | 'type' | 'title'>): string {
  const base = file.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
  return r.resourceType === 'Bundle' ? `${base}.${r.title.startsWith('Patient:') ? 'patient' : r.type}.json` : `${base}.json`;
}

export interface SplitResult {
  records: FhirRecord[];
  /** Resources left out, by resourceType (unreferenced directory data, billing without --fhir-billing). */
  skipped: Record<string, number>;
  /** Whom the file is about (docs/FHIR.md § 3.1), for the site's patient index. */
  subject: BundleSubject;
}

export const BILLING: ReadonlySet<string> = new Set([
  'Claim',
  'ClaimResponse',
  'ExplanationOfBenefit',
  'Coverage',
  'CoverageEligibilityRequest',
  'CoverageEligibilityResponse',
  'Invoice',
  'Account',
  'PaymentNotice',
  'PaymentReconciliation',
  'ChargeItem',
]);
/** Directory resources: who and where, not about the patient (docs/FHIR.md § 3). */
export const REFERENCE_DATA: ReadonlySet<string> = new Set([
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'Location',
  'Endpoint',
  'HealthcareService',
  'Device',
  'Medication',
  'Substance',
]);
const FIXED: Record<string, string> = {
  Immunization: 'immunization',
  ImmunizationRecommendation: 'immunization',
  ImmunizationEvaluation: 'immunization',
  MedicationRequest: 'prescription',
  MedicationStatement: 'prescription',
  MedicationAdministration: 'prescription',
  MedicationDispense: 'prescription',
  Procedure: 'procedure',
  AllergyIntolerance: 'allergy',
  ImagingStudy: 'imaging',
  Media: 'imaging',
  MolecularSequence: 'genetic',
  FamilyMemberHistory: 'genetic',
  Specimen: 'lab',
  Condition: 'note',
  Encounter: 'note',
  CarePlan: 'note',
  CareTeam: 'note',
  Goal: 'note',
  ClinicalImpression: 'note',
  DocumentReference: 'note',
  Composition: 'note',
  QuestionnaireResponse: 'note',
  RiskAssessment: 'note',
  Flag: 'note',
  Patient: 'other',
};

type Json = Record<string, any>;
const codes = (cc: unknown): string[] =>
  (Array.isArray(cc) ? cc : [cc]).flatMap((c: Json) =>
    Array.isArray(c?.coding) ? c.coding.map((x: Json) => String(x?.code ?? '').toLowerCase()) : [],
  );

/** The record type of one resource (docs/FHIR.md § 3), or null when it is not stored. */
export function typeOf(r: Json, billing: boolean): string | null {
  const t = r.resourceType as string;
  if (BILLING.has(t)) return billing ? 'other' : null;
  if (REFERENCE_DATA.has(t)) return null;
  if (t === 'Observation') {
    const cat = codes(r.category);
    if (cat.includes('laboratory')) return 'lab';
    if (cat.includes('vital-signs')) return 'vitals';
    if (cat.includes('imaging')) return 'imaging';
    return 'note';
  }
  if (t === 'DiagnosticReport') {
    const cat = codes(r.category);
    // HL7 v2-0074 sections: RAD/CT/MR/US/NMR… are imaging; LAB and the rest are lab.
    return cat.some((c) => ['rad', 'ct', 'mr', 'us', 'nmr', 'rx', 'vus', 'imaging', 'lp29684-5'].includes(c)) ? 'imaging' : 'lab';
  }
  if (t === 'ServiceRequest') return codes(r.category).includes('3457005') ? 'referral' : 'note';
  return FIXED[t] ?? 'other';
}

const text = (v: unknown, max = 200): string | undefined => {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  return v.length > max ? v.slice(0, max - 1) + '…' : v;
};
const ccText = (cc: Json | undefined): string | undefined =>
  cc ? (text(cc.text) ?? text(cc.coding?.[0]?.display) ?? text(cc.coding?.[0]?.code)) : undefined;

/** A short title: the resource type and what it is about (docs/FHIR.md § 3). */
export function titleOf(r: Json): string {
  const t = r.resourceType as string;
  const about =
    ccText(r.code) ??
    ccText(r.vaccineCode) ??
    ccText(r.medicationCodeableConcept) ??
    ccText(Array.isArray(r.type) ? r.type[0] : r.type) ??
    ccText(Array.isArray(r.category) ? r.category[0] : undefined) ??
    (t === 'Patient' ? 'demographics' : undefined);
  return about ? `${t}: ${about}` : t;
}

const DATE = /^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$/;
const date = (v: unknown): string | undefined => (typeof v === 'string' && DATE.test(v) ? v : undefined);

/** The date of care: when it happened, not when it was filed (docs/FHIR.md § 3). */
export function careDateOf(r: Json): string | undefined {
  return (
    date(r.effectiveDateTime) ??
    date(r.effectivePeriod?.start) ??
    date(r.occurrenceDateTime) ??
    date(r.performedDateTime) ??
    date(r.performedPeriod?.start) ??
    date(r.period?.start) ??
    date(r.onsetDateTime) ??
    date(r.authoredOn) ??
    date(r.billablePeriod?.start) ??
    date(r.recordedDate) ??
    date(r.issued) ??
    date(r.created) ??
    date(r.date) ??
    date(r.started)
  );
}

/** Every literal reference inside `value` (iterative; depth is bounded by detect.ts), `#contained` ones left out. */
function referencesIn(value: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (!Array.isArray(v) && typeof (v as Json).reference === 'string' && !(v as Json).reference.startsWith('#'))
      out.push((v as Json).reference);
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c !== null && typeof c === 'object') stack.push(c);
  }
  return out;
}

/**
 * bdl-7 (R4 Bundle): a fullUrl appears once, or its entries differ in meta.versionId.
 * Two entries under one fullUrl would become two versions of one resource nobody can tell
 * apart (docs/FHIR.md § 3.1).
 */
function checkUniqueFullUrls(entries: Json[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (typeof e.fullUrl !== 'string') continue;
    const k = `${e.fullUrl}\0${e.resource?.meta?.versionId ?? ''}`;
    if (seen.has(k))
      throw new UsageError(`the FHIR Bundle holds fullUrl ${JSON.stringify(e.fullUrl.slice(0, 80))} twice (R4 bdl-7)`, {
        hint: 'each entry needs its own fullUrl (or a distinct meta.versionId)',
      });
    seen.add(k);
  }
}

/**
 * Splits a validated resource or Bundle: one record per emr type (CLI contract: "a Bundle
 * becomes one record per type"), its content a FHIR `collection` Bundle of that type's
 * resources as they came (same ids, codes, fullUrls); the Patient alone in a record of its
 * own (§ 4). A single resource stays one record holding that resource. A Bundle MUST be
 * about one patient (§ 3.1, fhir/subject.ts). The directory resources (Practitioner,
 * Organization, …) a record's resources reference ride along inside that record as
 * reference data (§ 3.2), so no reference dangles after export; unreferenced ones are skipped.
 */
export function splitFhir(res: FhirResource, o: { billing?: boolean } = {}): SplitResult {
  const billing = o.billing ?? false;
  const subject = checkOnePatient(res);
  if (res.resourceType !== 'Bundle') {
    const type = typeOf(res, true) ?? 'other';
    const careDate = careDateOf(res);
    return {
      records: [
        {
          type,
          title: titleOf(res),
          ...(careDate ? { careDate } : {}),
          content: Buffer.from(JSON.stringify(res), 'utf8'),
          resourceType: res.resourceType,
          ...(typeof res.id === 'string' ? { id: res.id } : {}),
          resources: [{ resourceType: res.resourceType, ...(typeof res.id === 'string' ? { id: res.id } : {}) }],
        },
      ],
      skipped: {},
      subject,
    };
  }
  const entries: Json[] = ((res.entry as Json[] | undefined) ?? []).map((e) => ({ fullUrl: e.fullUrl, resource: e.resource }));
  checkUniqueFullUrls(entries);
  // Directory entries by the names a reference may use: fullUrl, and <Type>/<id>.
  const directory = new Map<string, Json>();
  for (const e of entries) {
    if (!REFERENCE_DATA.has(e.resource.resourceType)) continue;
    if (typeof e.fullUrl === 'string') directory.set(e.fullUrl, e);
    if (typeof e.resource.id === 'string') directory.set(`${e.resource.resourceType}/${e.resource.id}`, e);
  }
  const groups = new Map<string, Json[]>();
  const skipped: Record<string, number> = {};
  for (const e of entries) {
    const r = e.resource as Json;
    const type = typeOf(r, billing);
    if (type === null) continue;
    const key = r.resourceType === 'Patient' ? 'Patient' : type;
    if (!groups.has(key)) groups.set(key, []);
    // The entry as it came, less the transaction verb (a stored record is not a request).
    groups.get(key)!.push(e.fullUrl !== undefined ? { fullUrl: e.fullUrl, resource: r } : { resource: r });
  }
  const used = new Set<Json>();
  const records: FhirRecord[] = [];
  for (const [key, list] of groups) {
    const type = key === 'Patient' ? 'other' : key;
    const counts = new Map<string, number>();
    for (const e of list) counts.set(e.resource.resourceType, (counts.get(e.resource.resourceType) ?? 0) + 1);
    const dates = list
      .map((e) => careDateOf(e.resource))
      .filter((d): d is string => !!d)
      .sort();
    const title =
      key === 'Patient'
        ? 'Patient: demographics'
        : list.length === 1
          ? titleOf(list[0]!.resource)
          : `${type}: ${[...counts].map(([t, n]) => `${t} ×${n}`).join(', ')}`;
    // Reference data, transitively (a PractitionerRole names its Organization), each once.
    const refData: Json[] = [];
    const pending = list.flatMap((e) => referencesIn(e.resource));
    while (pending.length) {
      const d = directory.get(pending.pop()!.replace(/\/_history\/[^/]+$/, ''));
      if (!d || refData.includes(d)) continue;
      refData.push(d);
      used.add(d);
      pending.push(...referencesIn(d.resource));
    }
    const entry = [
      ...list,
      ...refData.map((d) => (d.fullUrl !== undefined ? { fullUrl: d.fullUrl, resource: d.resource } : { resource: d.resource })),
    ];
    const bundle = { resourceType: 'Bundle', type: 'collection', entry };
    records.push({
      type,
      title: title.length > 200 ? title.slice(0, 199) + '…' : title,
      // The most recent date of care in the group: a history sorts by it.
      ...(dates.length ? { careDate: dates[dates.length - 1] } : {}),
      content: Buffer.from(JSON.stringify(bundle), 'utf8'),
      resourceType: 'Bundle',
      resources: list.map((e) => ({
        resourceType: e.resource.resourceType,
        ...(typeof e.resource.id === 'string' ? { id: e.resource.id } : {}),
      })),
    });
  }
  for (const e of entries)
    if (typeOf(e.resource, billing) === null && !used.has(e))
      skipped[e.resource.resourceType] = (skipped[e.resource.resourceType] ?? 0) + 1;
  return { records, skipped, subject };
}
