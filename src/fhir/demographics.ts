/**
 * What a site's patient index keeps of a patient, and how a Bundle is compared with it
 * (docs/FHIR.md § 3.3): identifiers (system|value: the MRN and other identifiers that are
 * not national numbers), birth date and family name. Pure; records/patient-index.ts stores
 * it (encrypted) and decides.
 */
import type { BundleSubject } from './subject.js';

type Json = Record<string, any>;

export interface Demographics {
  /** `system|value`, sorted. */
  identifiers: string[];
  birthDate?: string;
  family?: string;
}

/** Identifier types kept out of the index: national numbers are not needed to tell patients apart (v2-0203). */
const NOT_INDEXED = new Set(['SS', 'SB', 'NI', 'NNxxx', 'DL', 'PPN', 'TAX']);

const typeCodes = (i: Json): string[] => (Array.isArray(i?.type?.coding) ? i.type.coding.map((c: Json) => String(c?.code ?? '')) : []);

export function identifierKey(system: string, value: string): string {
  return `${system}|${value}`;
}

/** The index's view of a Patient resource (or of a Bundle's identifier-only subject references). */
export function demographicsOf(subject: BundleSubject): Demographics | undefined {
  const p = subject.patient;
  if (!p) {
    if (!subject.identifiers.length) return undefined;
    return { identifiers: [...new Set(subject.identifiers.map((i) => identifierKey(i.system, i.value)))].sort() };
  }
  const ids = (Array.isArray(p.identifier) ? (p.identifier as Json[]) : [])
    .filter((i) => typeof i?.system === 'string' && typeof i?.value === 'string' && !typeCodes(i).some((c) => NOT_INDEXED.has(c)))
    .map((i) => identifierKey(i.system, i.value));
  const names = Array.isArray(p.name) ? (p.name as Json[]) : [];
  const name = names.find((n) => n?.use === 'official') ?? names.find((n) => n?.use !== 'old' && n?.use !== 'maiden') ?? names[0];
  return {
    identifiers: [...new Set(ids)].sort(),
    ...(typeof p.birthDate === 'string' ? { birthDate: p.birthDate } : {}),
    ...(typeof name?.family === 'string' && name.family.trim() ? { family: name.family.trim() } : {}),
  };
}

const fold = (s: string) => s.normalize('NFKC').toLocaleLowerCase('en').replace(/\s+/g, ' ').trim();
const systemOf = (k: string) => k.slice(0, k.lastIndexOf('|'));

/**
 * The fields in which `got` contradicts `known` (empty: they agree). A field only one side
 * has is no contradiction (a first MRN from a new facility is added, not refused); an
 * identifier system both sides have MUST share a value.
 */
export function differingFields(known: Demographics, got: Demographics): string[] {
  const out: string[] = [];
  if (known.birthDate && got.birthDate && known.birthDate !== got.birthDate) out.push('birthDate');
  if (known.family && got.family && fold(known.family) !== fold(got.family)) out.push('family name');
  const knownSystems = new Set(known.identifiers.map(systemOf));
  for (const system of new Set(got.identifiers.map(systemOf))) {
    if (!knownSystems.has(system)) continue;
    const ours = got.identifiers.filter((k) => systemOf(k) === system);
    if (!ours.some((k) => known.identifiers.includes(k))) out.push(`identifier ${system}`);
  }
  return out;
}

/** `--mrn` given on the command line: is it one of the Bundle's identifier values? */
export function hasIdentifierValue(subject: BundleSubject, value: string): boolean {
  const list = subject.patient
    ? (Array.isArray(subject.patient.identifier) ? (subject.patient.identifier as Json[]) : []).map((i) => i?.value)
    : subject.identifiers.map((i) => i.value);
  return list.some((v) => v === value);
}
