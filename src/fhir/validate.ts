/**
 * FHIR R4 structural validation with the `fhir` package (docs/FHIR.md § 2): element names,
 * cardinality, primitive formats, required bindings. Loaded only by the commands that
 * need it (the R4 profiles take ~0.4 s and ~40 MB to load).
 */
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { type FhirResource, MAX_FHIR_DEPTH, nestsDeeperThan } from './detect.js';

interface Message {
  location?: string;
  severity: string;
  message: string;
}
interface FhirLib {
  validate(o: unknown, opts: Record<string, unknown>): { valid: boolean; messages: Message[] };
}

let lib: FhirLib | undefined;
function fhirLib(): FhirLib {
  if (!lib) {
    const { Fhir } = createRequire(import.meta.url)('fhir') as { Fhir: new () => FhirLib };
    lib = new Fhir();
  }
  return lib;
}

/** Bounds on hostile input: a Bundle is split into at most this many records. */
export const MAX_ENTRIES = 10_000;

export interface FhirProblem {
  /** FHIRPath-like location of the first error, e.g. `Bundle.entry[7].resource.status`. */
  path: string;
  message: string;
}

function firstError(resource: unknown, prefix: string, type: string): FhirProblem | undefined {
  // Unknown elements are errors: a typo'd element would otherwise be carried unvalidated.
  const r = fhirLib().validate(resource, { errorOnUnexpected: true });
  const m = r.messages.find((x) => x.severity === 'error' || x.severity === 'fatal');
  if (!m) return undefined;
  const loc = m.location ?? '';
  const rest = loc === type ? '' : loc.startsWith(type + '.') ? loc.slice(type.length) : loc ? '.' + loc : '';
  return { path: prefix + rest, message: m.message };
}

/** The first structural error of a resource or Bundle (entries checked one by one), or undefined. */
export function findFhirError(res: FhirResource): FhirProblem | undefined {
  // Before anything recursive walks it (the validator, the split's JSON.stringify).
  if (nestsDeeperThan(res, MAX_FHIR_DEPTH))
    return { path: String(res.resourceType), message: `nests objects and arrays deeper than ${MAX_FHIR_DEPTH} levels` };
  if (res.resourceType !== 'Bundle') return firstError(res, res.resourceType, res.resourceType);
  const entries = res.entry;
  if (entries !== undefined && !Array.isArray(entries)) return { path: 'Bundle.entry', message: 'must be an array' };
  const list = (entries ?? []) as unknown[];
  if (list.length > MAX_ENTRIES) return { path: 'Bundle.entry', message: `more than ${MAX_ENTRIES} entries` };
  // The Bundle's own elements, then each entry's resource with its own path.
  const shell = {
    ...res,
    entry: list.map((e) => {
      if (!e || typeof e !== 'object') return e;
      const { resource: _r, ...rest } = e as Record<string, unknown>;
      return rest;
    }),
  };
  const top = firstError(shell, 'Bundle', 'Bundle');
  if (top) return top;
  for (let i = 0; i < list.length; i++) {
    const r = (list[i] as { resource?: unknown }).resource;
    const at = `Bundle.entry[${i}].resource`;
    if (!r || typeof r !== 'object' || typeof (r as FhirResource).resourceType !== 'string')
      return { path: at, message: 'missing resource or resourceType' };
    const e = firstError(r, at, (r as FhirResource).resourceType);
    if (e) return e;
  }
  return undefined;
}

/** Throws UsageError (exit 2) naming the path of the first error. */
export function assertValidFhir(res: FhirResource, what: string): void {
  const p = findFhirError(res);
  if (p) {
    throw new UsageError(`invalid FHIR R4 in ${what}: ${p.path}: ${p.message}`, {
      hint: 'fix the resource at that path (checked against the FHIR R4 structure definitions)',
      details: { path: p.path },
    });
  }
}
