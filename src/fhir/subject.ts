/**
 * One patient per Bundle, really (docs/FHIR.md § 3.1): every resource's subject/patient
 * reference — relative, absolute URL, `urn:uuid:`, identifier-only, or `#contained` — MUST
 * resolve to the Bundle's one Patient, and no Patient may hide inside another resource
 * (contained or nested), where its demographics would leave the `other` record and reach
 * every grantee of a clinical type. Pure: the caller throws the UsageError it returns.
 */
import { UsageError } from '../errors.js';

type Json = Record<string, any>;

/** The elements that name whom a resource is about (R4: subject, patient, beneficiary). */
const SUBJECT_KEYS = ['subject', 'patient', 'beneficiary'] as const;

export interface Identifier {
  system: string;
  value: string;
}

/** What the Bundle says of its one patient, for the site's patient index (records/patient-index.ts). */
export interface BundleSubject {
  /** The Bundle's Patient resource, when it has one. */
  patient?: Json;
  /** Identifiers named by identifier-only subject references (checked against the index when there is no Patient). */
  identifiers: Identifier[];
}

const refuse = (what: string, hint = 'import one patient per Bundle; see docs/FHIR.md § 3.1') => new UsageError(what, { hint });

const label = (r: Json): string => `${String(r.resourceType).slice(0, 40)}${typeof r.id === 'string' ? `/${r.id.slice(0, 64)}` : ''}`;
const show = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 79)}…` : s);

/** Whether a Patient resource sits anywhere inside `value` (iterative; depth is bounded by detect.ts). */
function holdsPatient(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (!Array.isArray(v) && (v as Json).resourceType === 'Patient') return true;
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c !== null && typeof c === 'object') stack.push(c);
  }
  return false;
}

function identifiersOf(p: Json | undefined): Identifier[] {
  const list = Array.isArray(p?.identifier) ? (p!.identifier as Json[]) : [];
  return list
    .filter((i) => typeof i?.system === 'string' && typeof i?.value === 'string')
    .map((i) => ({ system: i.system as string, value: i.value as string }));
}

const sameId = (a: Identifier, b: Identifier) => a.system === b.system && a.value === b.value;

/**
 * Checks a validated resource or Bundle; returns what it says of its patient, or throws a
 * UsageError (exit 2) naming the resource and the reference that does not resolve.
 */
export function checkOnePatient(res: Json): BundleSubject {
  const entries: Json[] =
    res.resourceType === 'Bundle' ? ((res.entry as Json[] | undefined) ?? []).filter((e) => e?.resource) : [{ resource: res }];
  const patients = entries.filter((e) => e.resource.resourceType === 'Patient');
  if (patients.length > 1) throw refuse('the FHIR Bundle holds more than one Patient');
  const p = patients[0];
  const pIds = identifiersOf(p?.resource);
  // The literal references that name the Patient entry: its fullUrl, and Patient/<id>.
  const names = new Set<string>();
  if (typeof p?.fullUrl === 'string') names.add(p.fullUrl);
  if (typeof p?.resource.id === 'string') names.add(`Patient/${p.resource.id}`);
  // Without a Patient entry, every subject reference MUST name the same one (first seen).
  let only: { reference?: string; identifier?: Identifier } | undefined;
  const identifiers: Identifier[] = [];

  const check = (owner: Json, contained: Json[], ref: unknown) => {
    if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) return;
    const r = ref as Json;
    const lit = typeof r.reference === 'string' ? (r.reference as string) : undefined;
    const ident =
      typeof r.identifier?.system === 'string' && typeof r.identifier?.value === 'string'
        ? { system: r.identifier.system as string, value: r.identifier.value as string }
        : undefined;
    if (lit?.startsWith('#')) {
      const target = contained.find((c) => `#${c?.id}` === lit);
      // A contained Patient is refused by holdsPatient() before this; anything else is not the patient.
      throw refuse(
        `${label(owner)} is about ${target ? `a contained ${String(target.resourceType).slice(0, 40)}` : `an unresolved reference ${show(lit)}`}, not the Bundle's patient`,
      );
    }
    if (!lit && !ident) throw refuse(`${label(owner)} names its patient by display text only, which cannot be checked`);
    if (p) {
      if (lit !== undefined && !names.has(lit.replace(/\/_history\/[^/]+$/, '')))
        throw refuse(`${label(owner)} is about another patient (${show(lit)}), not the Bundle's Patient`);
      if (ident && !pIds.some((i) => sameId(i, ident)))
        throw refuse(`${label(owner)} names its patient by an identifier the Bundle's Patient does not have (${show(ident.system)})`);
      return;
    }
    if (lit !== undefined && !/^(urn:uuid:|urn:oid:|Patient\/|https?:\/\/[^ ]*\/Patient\/)/.test(lit))
      throw refuse(`${label(owner)} is about ${show(lit)}, which is not a Patient`);
    if (!only) only = { ...(lit !== undefined ? { reference: lit } : {}), ...(ident ? { identifier: ident } : {}) };
    const same =
      (lit === undefined || only.reference === undefined || only.reference === lit) &&
      (ident === undefined || only.identifier === undefined || sameId(only.identifier, ident)) &&
      // One side literal, the other identifier-only: nothing says they are the same person.
      (lit !== undefined) === (only.reference !== undefined);
    if (!same) throw refuse(`${label(owner)} is about another patient than the Bundle's other resources (${show(lit ?? ident!.value)})`);
    if (ident && !identifiers.some((i) => sameId(i, ident))) identifiers.push(ident);
  };

  for (const e of entries) {
    const r = e.resource as Json;
    if (r.resourceType === 'Bundle' && r !== res)
      throw refuse(`a Bundle inside the Bundle (${label(r)}) is not patient data`, 'import each Bundle on its own');
    // Demographics live in the Patient entry only (FHIR.md § 4): never contained or nested elsewhere.
    if (r.resourceType !== 'Patient' && holdsPatient(Object.entries(r).filter(([k]) => k !== 'resourceType')))
      throw refuse(
        `${label(r)} holds a Patient inside it (contained or nested): its demographics would reach every grantee of that record`,
        'put the patient in the Bundle’s one Patient entry and reference it; see docs/FHIR.md § 4',
      );
    const contained = Array.isArray(r.contained) ? (r.contained as Json[]) : [];
    for (const owner of [r, ...contained]) {
      if (owner?.resourceType === 'Patient') continue;
      for (const k of SUBJECT_KEYS) {
        const v = owner?.[k];
        for (const ref of Array.isArray(v) ? v : [v]) check(owner, contained, ref);
      }
    }
  }
  return { ...(p ? { patient: p.resource } : {}), identifiers };
}
