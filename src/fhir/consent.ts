/**
 * `emr grant list --format fhir` (docs/FHIR.md § 8): each provider's access as an R4
 * Consent. Parties are named by their Ethereum addresses as identifiers (no demographics);
 * the granted record types are provision codes in the system `urn:emr:record-type`, the
 * record ids provision data (`urn:emr:record`).
 */
/** What a Consent says of one provider's access (records/grant-list.ts builds these). */
export interface ConsentGrant {
  provider: string;
  /** Access now: a live grant, live record grants, or an open emergency window. */
  live: boolean;
  read: string[];
  write: string[];
  /** Record ids readable now through record grants (not through types). */
  records: string[];
  /** ISO time of the grant's expiry; null when there is no type grant. */
  expires: string | null;
  /** Block time (ISO) of the patient's last grant to this provider; null: no grant, only emergency access. */
  grantedAt: string | null;
  /** A live grant (types or records) — not counting break-glass access. */
  grantLive: boolean;
  /** Each break-glass window this provider opened (docs/FHIR.md § 8.1): not the patient's consent. */
  emergencies: { openedAt: string; until: string; open: boolean; types: string[] }[];
}

const ADDR = 'urn:emr:ethereum-address';

const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/**
 * The Consent resources of `grant list --format fhir` (docs/FHIR.md § 8): one opt-in
 * Consent per provider the patient granted, dated by the block that granted it, and one
 * Consent of its own kind per break-glass window (§ 8.1) — never the patient's opt-in.
 */
export function consentBundle(patient: string, grants: ConsentGrant[], now: Date): Record<string, unknown> {
  const p = patient.toLowerCase();
  const entry = grants.flatMap((g) => [
    ...(g.grantedAt ? [{ fullUrl: `urn:emr:consent:${p}:${g.provider.toLowerCase()}`, resource: optIn(patient, g) }] : []),
    ...g.emergencies.map((w, i) => ({
      fullUrl: `urn:emr:consent:${p}:${g.provider.toLowerCase()}:emergency:${i + 1}`,
      resource: breakGlass(patient, g.provider, w),
    })),
  ]);
  // FHIR JSON has no empty arrays (a present Bundle.entry has ≥ 1 element): no grants, no `entry` (FHIR.md § 8).
  return { resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString(), ...(entry.length ? { entry } : {}) };
}

const base = (patient: string, dateTime: string) => ({
  resourceType: 'Consent',
  scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
  category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
  patient: { identifier: { system: ADDR, value: patient } },
  dateTime,
});
const actor = (provider: string) => [
  {
    role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
    reference: { identifier: { system: ADDR, value: provider } },
  },
];

function optIn(patient: string, g: ConsentGrant): Record<string, unknown> {
  return {
    ...base(patient, g.grantedAt!),
    status: g.grantLive ? 'active' : 'inactive',
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: g.grantLive ? 'permit' : 'deny',
      ...(g.expires ? { period: { end: g.expires } } : {}),
      actor: actor(g.provider),
      action: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] },
        ...(g.write.length
          ? [
              {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'correct' }],
                text: `write: ${g.write.join(',')}`,
              },
            ]
          : []),
      ],
      ...(g.read.length ? { code: g.read.map((t) => ({ coding: [{ system: 'urn:emr:record-type', code: t }] })) } : {}),
      ...(g.records.length
        ? { data: g.records.map((id) => ({ meaning: 'instance', reference: { identifier: { system: 'urn:emr:record', value: id } } })) }
        : {}),
    },
  };
}

/**
 * Break-glass access (docs/FHIR.md § 8.1): a provider's own declaration under the patient's
 * emergency policy, not the patient's consent — policy "break the glass" (v3-ActReason BTG),
 * purpose emergency treatment (ETREAT), the window as the period, the emergency-visible
 * types as the codes; dated by the block that opened it.
 */
function breakGlass(patient: string, provider: string, w: ConsentGrant['emergencies'][number]): Record<string, unknown> {
  return {
    ...base(patient, w.openedAt),
    status: w.open ? 'active' : 'inactive',
    policyRule: {
      coding: [{ system: ACT_REASON, code: 'BTG', display: 'break the glass' }],
      text: 'emergency access opened by the provider under the patient’s emergency policy (not an opt-in consent)',
    },
    provision: {
      type: 'permit',
      period: { start: w.openedAt, end: w.until },
      actor: actor(provider),
      action: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'access' }] }],
      purpose: [{ system: ACT_REASON, code: 'ETREAT', display: 'Emergency Treatment' }],
      ...(w.types.length ? { code: w.types.map((t) => ({ coding: [{ system: 'urn:emr:record-type', code: t }] })) } : {}),
    },
  };
}
