/**
 * Assembling `record export --format fhir` (docs/FHIR.md § 9): the readable records'
 * resources → one R4 `collection` Bundle in which every fullUrl is unique (bdl-7). Pure;
 * records/export-fhir.ts opens the records.
 *
 * A resource is known by `<Type>/<id>` (or its fullUrl when it has no id). The same
 * resource held by several records (a correction restating it, reference data riding in
 * every record that names it, a Bundle imported twice) is one resource with versions in
 * the order the records were added; identical content is one version. By default only the
 * current version of each resource is exported; with `history` every version, each with
 * `meta.versionId`, the older ones under fullUrls of their own, `urn:emr:version:<record>:<Type>/<id>` (§ 9.1).
 */

type Json = Record<string, any>;

/** One readable record, opened and verified. */
export interface OpenedRecord {
  id: string;
  /** The record ids it supersedes (signed `supersedes`), when readable here. */
  supersedes?: string;
  /** Entries of a FHIR record (a collection's entries, or one resource); undefined for other files. */
  entries?: Json[];
  /** A non-FHIR file, as a DocumentReference (records/export-fhir.ts builds it). */
  document?: Json;
  /** Signed encounter metadata (docs/FHIR.md § 7), carried into the resources (§ 9.2). */
  facility?: string;
  mrn?: string;
  /** Voided (entered-in-error) — its resources are left out, or kept as such in history. */
  voided?: boolean;
  /** The organisation the author signed (docs/FORMAT.md § 3.5): its decimal id (docs/FHIR.md § 9.6). */
  org?: string;
}

export interface AssembleOptions {
  history?: boolean;
}

/**
 * R4 status codes that say "this version replaced a final one" (Observation, DiagnosticReport,
 * Composition, QuestionnaireResponse, RiskAssessment, DetectedIssue and Media take `amended`).
 */
const AMENDABLE = new Set(['Observation', 'DiagnosticReport', 'Composition', 'QuestionnaireResponse', 'RiskAssessment', 'Media']);
/** Resource types whose R4 status binding has `entered-in-error` (most clinical ones). */
const NO_ENTERED_IN_ERROR = new Set(['Patient', 'Practitioner', 'Organization', 'Location', 'Medication', 'Substance', 'Device']);

interface Version {
  recordId: string;
  fullUrl?: string;
  resource: Json;
  text: string;
  voided: boolean;
}

const keyOf = (e: Json, recordId: string, i: number): string =>
  typeof e.resource?.id === 'string'
    ? `${e.resource.resourceType}/${e.resource.id}`
    : typeof e.fullUrl === 'string'
      ? e.fullUrl
      : `urn:emr:record:${recordId}:${i}`;

/** The fullUrl a resource is exported under: the first one it came with that is not emr's own. */
function fullUrlOf(versions: Version[], key: string): string {
  return (
    versions.find((v) => v.fullUrl && !v.fullUrl.startsWith('urn:emr:record:'))?.fullUrl ??
    versions.find((v) => v.fullUrl)?.fullUrl ??
    `urn:emr:resource:${key}`
  );
}

export function assembleEntries(records: OpenedRecord[], o: AssembleOptions = {}): Json[] {
  const byKey = new Map<string, Version[]>();
  const order: string[] = [];
  // Non-FHIR files superseded by a readable later record are replaced as a whole (§ 9.1).
  const superseded = new Set(records.map((r) => r.supersedes).filter((x): x is string => !!x));
  for (const r of records) {
    const list = r.document ? [{ resource: r.document, fullUrl: `urn:emr:record:${r.id}` }] : (r.entries ?? []);
    list.forEach((e, i) => {
      if (!e?.resource) return;
      const key = keyOf(e, r.id, i);
      if (!byKey.has(key)) {
        byKey.set(key, []);
        order.push(key);
      }
      const versions = byKey.get(key)!;
      const text = JSON.stringify(e.resource);
      // Identical content is the same version (reference data in many records, a re-import).
      const same = versions.find((v) => v.text === text && v.voided === !!r.voided);
      if (same) return;
      versions.push({
        recordId: r.id,
        ...(typeof e.fullUrl === 'string' ? { fullUrl: e.fullUrl } : {}),
        resource: e.resource,
        text,
        voided: !!r.voided,
      });
    });
  }
  const out: Json[] = [];
  for (const key of order) {
    const versions = byKey.get(key)!;
    const live = versions.filter(
      (v) =>
        !v.voided &&
        !(v.resource.resourceType === 'DocumentReference' && superseded.has(v.recordId) && v.fullUrl?.startsWith('urn:emr:record:')),
    );
    const current = live.at(-1);
    const fullUrl = fullUrlOf(versions, key);
    if (!o.history) {
      if (current) out.push({ fullUrl, resource: statusOf(current, versions, false) });
      continue;
    }
    versions.forEach((v, i) => {
      const isCurrent = v === current;
      const marked = statusOf(v, versions, !isCurrent);
      const resource = { ...marked, meta: { ...(marked.meta ?? {}), versionId: String(i + 1) } };
      out.push({ fullUrl: isCurrent ? fullUrl : `urn:emr:version:${v.recordId}:${key}`, resource });
    });
  }
  // A file's DocumentReference is about the exported Patient when there is one (§ 9.4): a
  // reference that resolves, and the same patient as every other resource on re-import.
  const patients = out.filter((e) => e.resource.resourceType === 'Patient' && !String(e.fullUrl).startsWith('urn:emr:version:'));
  if (patients.length === 1)
    for (const e of out)
      if (e.resource.resourceType === 'DocumentReference' && e.resource.subject?.identifier?.system === 'urn:emr:ethereum-address')
        e.resource = { ...e.resource, subject: { reference: patients[0]!.fullUrl } };
  return out;
}

/**
 * The status a version is exported with (R4 status codes, § 9.1): a voided one
 * `entered-in-error`; a replaced DocumentReference `superseded`; a current version that
 * replaced a `final` one `amended` (where the type has that code). Otherwise as written.
 */
function statusOf(v: Version, versions: Version[], old: boolean): Json {
  const r = v.resource;
  if (v.voided) {
    if (typeof r.status === 'string' && !NO_ENTERED_IN_ERROR.has(r.resourceType)) return { ...r, status: 'entered-in-error' };
    // A type without that status code (Patient, directory data): a tag says it instead.
    return { ...r, meta: { ...(r.meta ?? {}), tag: [...(r.meta?.tag ?? []), { system: 'urn:emr:status', code: 'entered-in-error' }] } };
  }
  if (old && r.resourceType === 'DocumentReference') return { ...r, status: 'superseded' };
  const i = versions.indexOf(v);
  if (
    !old &&
    i > 0 &&
    r.status === 'final' &&
    AMENDABLE.has(r.resourceType) &&
    versions.slice(0, i).some((p) => !p.voided && p.resource.status === 'final')
  )
    return { ...r, status: 'amended' };
  return r;
}

/** docs/FHIR.md § 9.2: `--facility` becomes the serviceProvider (display) of the record's Encounters that name none. Before assembly. */
export function applyFacility(records: OpenedRecord[]): void {
  for (const r of records) {
    if (!r.facility || !r.entries) continue;
    r.entries = r.entries.map((e) =>
      e?.resource?.resourceType === 'Encounter' && !e.resource.serviceProvider
        ? { ...e, resource: { ...e.resource, serviceProvider: { display: r.facility } } }
        : e,
    );
  }
}

/** Where the exported organisations live (docs/FHIR.md § 9.6): an org id means something only on one contract. */
export interface OrgSite {
  chainId: bigint | number;
  contract: string;
}

/** docs/FHIR.md § 9.6: the identifier system of an organisation of `site` (its value is the decimal org id). */
export const orgSystem = (site: OrgSite): string => `urn:emr:org:eip155:${site.chainId}:${site.contract.toLowerCase()}`;

/**
 * An org name from the chain as a FHIR string (docs/FHIR.md § 9.6): hostile text, so every
 * control, format (bidi) and line/paragraph separator character becomes U+FFFD, other
 * spaces a plain space, at most 200 characters, trimmed; nothing left is no name.
 */
export function fhirOrgName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const t = [...name]
    .slice(0, 200)
    .join('')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '\uFFFD')
    .replace(/\s/gu, ' ')
    .trim();
  return t || undefined;
}

/** The Organization resource of org `id` (docs/FHIR.md § 9.6) and the Reference that names it. */
export function organization(site: OrgSite, id: string, chainName: string | undefined): { entry: Json; reference: Json } {
  const system = orgSystem(site);
  const name = fhirOrgName(chainName);
  const fullUrl = `${system}:${id}`;
  const resource = {
    resourceType: 'Organization',
    // R4 id: [A-Za-z0-9.-]{1,64}; the contract's first 8 hex digits keep two deployments apart in one Bundle.
    id: `emr-org-${site.chainId}-${site.contract.toLowerCase().slice(2, 10)}-${id}`,
    identifier: [{ system, value: id }],
    ...(name ? { name } : {}),
  };
  return {
    entry: { fullUrl, resource },
    reference: { reference: fullUrl, identifier: { system, value: id }, ...(name ? { display: name } : {}) },
  };
}

/**
 * docs/FHIR.md § 9.6, before assembly: a record's signed organisation becomes the
 * `custodian` of its DocumentReference and the `serviceProvider` of its Encounters that name
 * none (an Encounter's own serviceProvider is the author's signed content: kept as it is),
 * and the returned pseudo-record holds one Organization per organisation of the exported
 * records, to be assembled after them, so that an Organization already in the records (a Bundle exported
 * and imported again) is the same resource, not a second one (§ 9.1 versions).
 */
export function applyOrgs(
  records: OpenedRecord[],
  site: OrgSite,
  names: Map<string, string>,
  o: AssembleOptions = {},
): OpenedRecord | undefined {
  const made = new Map<string, ReturnType<typeof organization>>();
  const orgOf = (id: string) => {
    if (!made.has(id)) made.set(id, organization(site, id, names.get(id)));
    return made.get(id)!;
  };
  for (const r of records) {
    if (!r.org || (r.voided && !o.history)) continue;
    const ref = orgOf(r.org).reference;
    if (r.document) r.document = { ...r.document, custodian: ref };
    if (r.entries)
      r.entries = r.entries.map((e) =>
        e?.resource?.resourceType === 'Encounter' && !e.resource.serviceProvider
          ? { ...e, resource: { ...e.resource, serviceProvider: ref } }
          : e,
      );
  }
  // Assembled after the records (their own copies first), never counted as a record.
  return made.size ? { id: 'org', entries: [...made.values()].map((m) => m.entry) } : undefined;
}

/** docs/FHIR.md § 9.2: `--mrn` becomes an MR identifier of the exported (current) Patient, unless it has that value. After assembly. */
export function applyMrn(records: OpenedRecord[], entries: Json[]): void {
  const mrns = [
    ...new Set(
      records
        .filter((r) => !r.voided && r.entries) // a FHIR record's MRN; a file's stays on its DocumentReference (§ 9.4)
        .map((r) => r.mrn)
        .filter((m): m is string => !!m),
    ),
  ];
  if (!mrns.length) return;
  for (const e of entries) {
    const p = e.resource;
    if (p?.resourceType !== 'Patient' || String(e.fullUrl).startsWith('urn:emr:version:')) continue;
    const have = new Set((Array.isArray(p.identifier) ? p.identifier : []).map((i: Json) => i?.value));
    const add = mrns.filter((m) => !have.has(m));
    if (add.length)
      e.resource = {
        ...p,
        identifier: [
          ...(p.identifier ?? []),
          ...add.map((value) => ({
            type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical Record Number' }] },
            value,
          })),
        ],
      };
  }
}

/** Every literal reference inside `value` with the path it sits at (iterative). */
function references(value: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (!Array.isArray(v) && typeof (v as Json).reference === 'string') out.push((v as Json).reference);
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c !== null && typeof c === 'object') stack.push(c);
  }
  return out;
}

/**
 * The Bundle invariants a JSON schema cannot express (docs/FHIR.md § 9.3): bdl-7 (a fullUrl
 * once, or with distinct meta.versionId) and, with `references`, every literal reference
 * resolving inside the Bundle (fullUrl, `<Type>/<id>`, or `#contained`).
 */
export function bundleProblems(bundle: Json, o: { references?: boolean } = {}): string[] {
  const problems: string[] = [];
  const entries: Json[] = Array.isArray(bundle.entry) ? bundle.entry : [];
  const seen = new Set<string>();
  const names = new Set<string>();
  for (const e of entries) {
    if (typeof e.fullUrl === 'string') {
      const k = `${e.fullUrl}\0${e.resource?.meta?.versionId ?? ''}`;
      if (seen.has(k)) problems.push(`bdl-7: fullUrl ${e.fullUrl} twice`);
      seen.add(k);
      names.add(e.fullUrl);
    }
    if (typeof e.resource?.id === 'string') names.add(`${e.resource.resourceType}/${e.resource.id}`);
  }
  if (!o.references) return problems;
  for (const e of entries) {
    const contained = new Set((Array.isArray(e.resource?.contained) ? e.resource.contained : []).map((c: Json) => `#${c?.id}`));
    for (const ref of references(e.resource)) {
      const ok = ref.startsWith('#') ? contained.has(ref) || ref === '#' : names.has(ref.replace(/\/_history\/[^/]+$/, ''));
      if (!ok) problems.push(`unresolved reference ${ref} in ${e.resource?.resourceType}/${e.resource?.id ?? '?'}`);
    }
  }
  return problems;
}
