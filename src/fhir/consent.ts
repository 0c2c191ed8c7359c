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
}

const ADDR = 'urn:emr:ethereum-address';

export function consentBundle(patient: string, grants: ConsentGrant[], now: Date): Record<string, unknown> {
  const entry = grants.map((g) => ({
    fullUrl: `urn:emr:consent:${patient.toLowerCase()}:${g.provider.toLowerCase()}`,
    resource: {
      resourceType: 'Consent',
      status: g.live ? 'active' : 'inactive',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
      patient: { identifier: { system: ADDR, value: patient } },
      dateTime: now.toISOString(),
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      provision: {
        type: g.live ? 'permit' : 'deny',
        ...(g.expires ? { period: { end: g.expires } } : {}),
        actor: [
          {
            role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
            reference: { identifier: { system: ADDR, value: g.provider } },
          },
        ],
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
    },
  }));
  // FHIR JSON has no empty arrays (a present Bundle.entry has ≥ 1 element): no grants, no `entry` (FHIR.md § 8).
  return { resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString(), ...(entry.length ? { entry } : {}) };
}
