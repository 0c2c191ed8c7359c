/**
 * `emr audit --format fhir` (docs/FHIR.md § 10): each contract event as a FHIR R4
 * AuditEvent, all of them in one `collection` Bundle.
 *
 * Pure mapping on the ground floor: it takes chain events already decoded (and read
 * receipts already checked against their records by the chain layer) and builds JSON. It
 * names parties only by the Ethereum addresses the chain proves, never by local profile
 * names (a profile name is this device's unsigned label; a third party reading the
 * export could not check it) (FHIR.md § 10.2).
 *
 * Codes come from the R4 value sets bound to AuditEvent: type from audit-event-type (DICOM
 * event IDs), subtype from audit-event-sub-type (DICOM event type codes and the FHIR
 * restful interactions), action and outcome from their required value sets, entity type
 * and role from audit-entity-type and object-role, source type from audit-source-type.
 * The exact contract event is always also a subtype in `urn:emr:audit-event` (FHIR.md § 10.1).
 */
import type { AuditEvent, AuditKind } from '../audit-kinds.js';
import { eventTypeNames } from '../record-types.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const REST = 'http://hl7.org/fhir/restful-interaction';
const EMR_EVENT = 'urn:emr:audit-event';
const ADDR = 'urn:emr:ethereum-address';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

/** Bounds on hostile input (a configured contract may emit anything): record ids per event, characters per chain string. */
export const MAX_IDS_PER_EVENT = 1_000;
export const MAX_TEXT = 1_024;

/**
 * What a read receipt is, said on every receipt's record entity (SHARING.md § 5): the
 * AuditEvent of a receipt MUST NOT claim more than this (FHIR.md § 10.3).
 */
export const RECEIPT_MEANING =
  'read receipt logged by the reader itself: proves only that this reader was allowed to read this record when the receipt was logged; ' +
  'it does not prove that the record was downloaded or decrypted, and receipts are voluntary, so a read without one leaves no event';

/** One decoded contract event: the chain layer's AuditEvent. */
export type AuditInput = AuditEvent;

/** A record an event names, as far as the caller knows it at that event. */
export interface RecordRef {
  id: string;
  type?: string;
  cid?: string;
}

/** Where the events were recorded: the chain and the EmrAccess contract. */
export interface AuditSource {
  chainId: string;
  contract: string;
}

interface Mapping {
  type: [string, string];
  subtype?: [string, string, string];
  action?: 'C' | 'R' | 'U' | 'D' | 'E';
}

const SECURITY_ALERT: [string, string] = ['110113', 'Security Alert'];
const PATIENT_RECORD: [string, string] = ['110110', 'Patient Record'];
const ROLES_CHANGED: [string, string, string] = [DCM, '110136', 'Security Roles Changed'];
const OBJECT_SECURITY: [string, string, string] = [DCM, '110135', 'Object Security Attributes Changed'];

/** The mapping table of FHIR.md § 10.1, one row per contract event. */
const MAP: Readonly<Record<AuditKind, Mapping>> = {
  Registered: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'C' },
  ProviderVerified: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'U' },
  ProviderSuspended: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'U' },
  AdminAdded: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'U' },
  AdminRemoved: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'U' },
  EmergencyRecipientSet: { type: SECURITY_ALERT, subtype: [DCM, '110129', 'Security Configuration'], action: 'U' },
  RecordAdded: { type: PATIENT_RECORD, subtype: [REST, 'create', 'create'], action: 'C' },
  RecordRekeyed: { type: PATIENT_RECORD, subtype: [REST, 'update', 'update'], action: 'U' },
  Granted: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'U' },
  RecordsGranted: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'U' },
  Revoked: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'U' },
  RequestApproved: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'U' },
  EmergencyTypesSet: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'U' },
  AccessRequested: { type: PATIENT_RECORD, action: 'E' },
  RequestDenied: { type: PATIENT_RECORD, action: 'E' },
  EmergencyOpened: { type: SECURITY_ALERT, subtype: [DCM, '110127', 'Emergency Override Started'], action: 'E' },
  EmergencyKeysReleased: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'E' },
  RecordAccessed: { type: PATIENT_RECORD, subtype: [REST, 'read', 'read'], action: 'R' },
  RecordVoided: { type: PATIENT_RECORD, subtype: [REST, 'update', 'update'], action: 'U' },
  PrescriptionDispensed: { type: PATIENT_RECORD, action: 'E' },
  OrgCreated: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'C' },
  OrgAdminSet: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'U' },
  OrgMemberAdded: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'U' },
  OrgMemberRemoved: { type: SECURITY_ALERT, subtype: ROLES_CHANGED, action: 'U' },
  OrgGranted: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'U' },
  OrgRevoked: { type: SECURITY_ALERT, subtype: OBJECT_SECURITY, action: 'U' },
  RecordErased: { type: PATIENT_RECORD, subtype: [REST, 'delete', 'delete'], action: 'D' },
};
/** A receipt that does not match its record is not a read (CONTRACT.md § Read receipts). */
const FORGED: Mapping = { type: SECURITY_ALERT };
const UNKNOWN: Mapping = { type: ['110100', 'Application Activity'] };

/** The other party of an event, and whether it is an information recipient (gains access). */
const OTHER_PARTY: Readonly<Record<string, { field: string; recipient: boolean }>> = {
  Granted: { field: 'provider', recipient: true },
  RecordsGranted: { field: 'provider', recipient: true },
  RequestApproved: { field: 'provider', recipient: true },
  EmergencyKeysReleased: { field: 'provider', recipient: true },
  Revoked: { field: 'provider', recipient: false },
  RequestDenied: { field: 'provider', recipient: false },
};
/** Accounts whose role an admin changed: entities (Security User Entity), not agents. */
const USER_ENTITY: Readonly<Record<string, string>> = {
  ProviderVerified: 'provider',
  ProviderSuspended: 'provider',
  AdminAdded: 'admin',
  AdminRemoved: 'admin',
};

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const text = (v: unknown) => String(v ?? '').slice(0, MAX_TEXT);
const iso = (seconds: unknown) => {
  const ms = Number(seconds) * 1000;
  // uint40 expiries beyond year 9999 are not a FHIR instant; say so instead of throwing.
  return Number.isFinite(ms) && ms >= 0 && ms < 253402300800000 ? new Date(ms).toISOString() : 'beyond 9999-12-31';
};
const types = (names: string[] | undefined) => names?.join(',') || 'none';
const party = (address: string) => ({ identifier: { system: ADDR, value: address } });
const detail = (type: string, value: unknown) => ({ type, valueString: text(value) || '-' });

function recordEntity(r: RecordRef, receipt: boolean): Record<string, unknown> {
  const details = [...(r.type ? [detail('record-type', r.type)] : []), ...(r.cid ? [detail('cid', `ipfs://${r.cid}`)] : [])];
  return {
    what: { identifier: { system: 'urn:emr:record', value: r.id } },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: { system: OBJECT_ROLE, code: '3', display: 'Report' },
    ...(receipt ? { description: RECEIPT_MEANING } : {}),
    ...(details.length ? { detail: details } : {}),
  };
}

/** The records an event names: the caller's view (type, CID at that event) when it has one, else the ids from the event. */
function recordsOf(e: AuditInput, known: readonly RecordRef[] | undefined): RecordRef[] {
  if (known) return known.slice(0, MAX_IDS_PER_EVENT);
  const f = e.fields;
  if (e.kind === 'RecordsGranted' && Array.isArray(f.ids)) return f.ids.slice(0, MAX_IDS_PER_EVENT).map((id) => ({ id: String(id) }));
  if (
    e.kind === 'RecordAdded' ||
    e.kind === 'RecordRekeyed' ||
    e.kind === 'RecordVoided' ||
    e.kind === 'PrescriptionDispensed' ||
    e.kind === 'RecordErased'
  ) {
    return [{ id: String(f.id) }];
  }
  if (e.kind === 'RecordAccessed') return [{ id: String(f.recordId), type: eventTypeNames(e).recordType! }];
  return [];
}

/** One contract event as an R4 AuditEvent (FHIR.md § 10). `records`: what the caller knows of the records it names. */
export function auditEventResource(e: AuditInput, source: AuditSource, records?: readonly RecordRef[]): Record<string, unknown> {
  const f = e.fields;
  const forged = !!e.flag;
  const m = forged ? FORGED : (MAP[e.kind as AuditKind] ?? UNKNOWN);
  const subtype = [
    ...(m.subtype ? [{ system: m.subtype[0], code: m.subtype[1], display: m.subtype[2] }] : []),
    { system: EMR_EVENT, code: kebab(e.kind) },
  ];

  const agent: Record<string, unknown>[] = [{ who: party(e.actor), requestor: true }];
  const other = OTHER_PARTY[e.kind];
  if (other && typeof f[other.field] === 'string') {
    agent.push({
      ...(other.recipient ? { type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] } } : {}),
      who: party(f[other.field] as string),
      requestor: false,
    });
  }

  const entity: Record<string, unknown>[] = [];
  const patientDetails: ReturnType<typeof detail>[] = [];
  if (e.kind === 'Registered')
    patientDetails.push(detail('role', Number(f.role) === 1 ? 'patient' : Number(f.role) === 2 ? 'provider' : f.role));
  if (e.kind === 'EmergencyOpened') patientDetails.push(detail('emergency-expires', iso(f.expiresAt)));
  if (e.kind === 'EmergencyTypesSet') patientDetails.push(detail('emergency-visible-types', types(eventTypeNames(e).mask)));
  if (e.patient) {
    entity.push({
      what: party(e.patient),
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
      ...(patientDetails.length ? { detail: patientDetails } : {}),
    });
  }
  const user = USER_ENTITY[e.kind];
  if (user && typeof f[user] === 'string') {
    entity.push({
      what: party(f[user] as string),
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '11', display: 'Security User Entity' },
    });
  }
  for (const r of recordsOf(e, records)) entity.push(recordEntity(r, e.kind === 'RecordAccessed' && !forged));

  // The access a grant-like event sets, as a Consent-typed entity named like `grant list --format fhir`'s Consents.
  const grantDetails: ReturnType<typeof detail>[] = [];
  if ('readMask' in f && e.kind !== 'AccessRequested') grantDetails.push(detail('read-types', types(eventTypeNames(e).readMask)));
  if ('writeMask' in f) grantDetails.push(detail('write-types', types(eventTypeNames(e).writeMask)));
  if ('expiry' in f) grantDetails.push(detail('expires', iso(f.expiry)));
  if (e.kind === 'RecordsGranted' && Array.isArray(f.ids) && f.ids.length > MAX_IDS_PER_EVENT)
    grantDetails.push(detail('records-not-listed', f.ids.length - MAX_IDS_PER_EVENT));
  if (e.patient && typeof f.provider === 'string' && (grantDetails.length || e.kind === 'Revoked')) {
    entity.push({
      what: { identifier: { system: 'urn:emr:consent', value: `${e.patient.toLowerCase()}:${(f.provider as string).toLowerCase()}` } },
      type: { system: 'http://hl7.org/fhir/resource-types', code: 'Consent', display: 'Consent' },
      role: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
      ...(grantDetails.length ? { detail: grantDetails } : {}),
    });
  }
  if ('requestId' in f) {
    entity.push({
      what: { identifier: { system: 'urn:emr:access-request', value: String(f.requestId) } },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      ...(e.kind === 'AccessRequested' ? { detail: [detail('read-types', types(eventTypeNames(e).readMask))] } : {}),
    });
  }
  // Where on chain: the transaction and log, so any reader can look the event up.
  entity.push({
    what: { identifier: { system: 'urn:emr:ethereum-tx', value: e.txHash } },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    detail: [detail('block', e.blockNumber), detail('log-index', e.logIndex)],
  });

  const reason = text(f.reason).trim();
  const purpose: Record<string, unknown>[] = [];
  if (e.kind === 'EmergencyOpened' || e.kind === 'EmergencyKeysReleased') {
    purpose.push({ coding: [{ system: ACT_REASON, code: 'ETREAT', display: 'Emergency Treatment' }], ...(reason ? { text: reason } : {}) });
  } else if (reason) purpose.push({ text: reason });

  return {
    resourceType: 'AuditEvent',
    type: { system: DCM, code: m.type[0], display: m.type[1] },
    subtype,
    ...(m.action ? { action: m.action } : {}),
    recorded: iso(e.time),
    // A contract event exists only for a transaction that succeeded; a forged receipt is a failed claim.
    outcome: forged ? '4' : '0',
    ...(forged
      ? { outcomeDesc: `${e.kind === 'RecordAccessed' ? 'FORGED receipt (not a read)' : 'IGNORED (changes nothing)'}: ${text(e.flag)}` }
      : {}),
    ...(purpose.length ? { purposeOfEvent: purpose } : {}),
    agent,
    source: {
      site: `eip155:${source.chainId}`,
      observer: { identifier: { system: ADDR, value: source.contract }, display: `EmrAccess contract on chain ${source.chainId}` },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '6', display: 'Security Server' }],
    },
    entity,
  };
}

/** The whole trail as one `collection` Bundle, oldest event first (FHIR.md § 10). */
export function auditEventBundle(
  events: readonly AuditInput[],
  source: AuditSource,
  now: Date,
  recordsOfEvent: (e: AuditInput) => readonly RecordRef[] | undefined = () => undefined,
): Record<string, unknown> {
  const entry = events.map((e) => ({
    fullUrl: `urn:emr:audit:${source.chainId}:${e.txHash.toLowerCase()}:${e.logIndex}`,
    resource: auditEventResource(e, source, recordsOfEvent(e)),
  }));
  // FHIR JSON has no empty arrays: an empty trail is a Bundle without `entry`.
  return { resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString(), ...(entry.length ? { entry } : {}) };
}
