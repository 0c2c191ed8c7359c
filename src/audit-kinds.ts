/**
 * The contract's events as the audit trail sees them (CONTRACT.md § Events), shared by the
 * chain layer that decodes them (src/chain/audit.ts) and the FHIR mapping that exports them
 * (src/fhir/audit-event.ts, FHIR.md § 10.1). Both sit on the ground floor and may not import
 * each other, so the one list and the one decoded shape live here; each keys its table by
 * `AuditKind`, so a new contract event that one table misses fails to compile
 * (test/chain/abi.test.ts checks this list against the generated ABI).
 */
export const AUDIT_KINDS = Object.freeze([
  'Registered',
  'RecordAdded',
  'RecordRekeyed',
  'Granted',
  'RecordsGranted',
  'Revoked',
  'AccessRequested',
  'RequestApproved',
  'RequestDenied',
  'EmergencyOpened',
  'EmergencyTypesSet',
  'RecordAccessed',
  'AdminAdded',
  'AdminRemoved',
  'ProviderVerified',
  'ProviderSuspended',
  'EmergencyRecipientSet',
  'EmergencyKeysReleased',
  'RecordVoided',
  'PrescriptionDispensed',
  // Issue 24 § 1 (CONTRACT.md § Organisations).
  'OrgCreated',
  'OrgAdminSet',
  'OrgMemberAdded',
  'OrgMemberRemoved',
  'OrgGranted',
  'OrgRevoked',
  'RecordErased',
] as const);

export type AuditKind = (typeof AUDIT_KINDS)[number];

export type AuditValue = string | number | boolean | string[];

/** One decoded contract event with its block time. */
export interface AuditEvent {
  /** The contract event name, e.g. "Granted", "RecordAccessed". */
  kind: string;
  /** Unix seconds of the block. */
  time: number;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  /** The account that acted (for signed actions: the signer, not the relayer). */
  actor: string;
  /** The patient concerned, when the event concerns one. */
  patient: string | null;
  /** Every event argument by name; integers above 2^53 as decimal strings. */
  fields: Record<string, AuditValue>;
  /**
   * Read receipts, voids and dispenses (CONTRACT.md § Void and dispense): why this event does not match the record it names (another
   * patient's record, another type, no such record). Such a receipt is not a read
   * (CONTRACT.md § Read receipts) and MUST be shown flagged, never as a read.
   */
  flag?: string;
  /**
   * The type names of its slot fields (`recordType`, `readMask`, `writeMask`, `mask`), set by
   * a reader that holds the patient's type key (CONTRACT.md § Privacy). Without it a slot is
   * shown as `unknown-slot-<k>`: read names with `eventTypeNames` (src/record-types.ts).
   */
  typeNames?: EventTypeNames;
}

/** An event's slot fields as type names (spare slots dropped from masks). */
export interface EventTypeNames {
  recordType?: string;
  readMask?: string[];
  writeMask?: string[];
  mask?: string[];
}
