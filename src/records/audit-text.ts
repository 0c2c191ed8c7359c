/**
 * One line per audit event for people (`emr audit`, `emr demo`): who did what to whom.
 * Names local profiles where it can; addresses otherwise.
 */
import type { AuditEvent } from '../chain/audit.js';
import { safeText } from '../output.js';
import { eventTypeNames, RECORD_TYPES } from '../record-types.js';

export type NameOf = (address: string) => string;

/**
 * The line is escaped here (output.ts safeText), not only where it is rendered: `audit
 * --follow` and the demo narrate it directly, and reasons and names come from the chain.
 */
export function describeAuditEvent(e: AuditEvent, name: NameOf): string {
  return safeText(describe(e, name));
}

/** A set of type names as people read it: `all` when it holds every type (a `--types all` grant), not thirteen names. */
export function typesLabel(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  return RECORD_TYPES.every((t) => names.includes(t)) ? 'all' : names.join(',');
}

function describe(e: AuditEvent, name: NameOf): string {
  const f = e.fields as Record<string, unknown>;
  const who = (k: string) => (typeof f[k] === 'string' ? name(f[k] as string) : '?');
  const names = eventTypeNames(e);
  const types = (k: 'readMask' | 'writeMask' | 'mask') => typesLabel(names[k] ?? []);
  const until = (k: string) => new Date(Number(f[k] ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
  switch (e.kind) {
    case 'Registered':
      return `${who('account')} registered as ${Number(f.role) === 1 ? 'patient' : 'provider'}`;
    case 'ProviderVerified':
      return `${who('by')} verified provider ${who('provider')}`;
    case 'ProviderSuspended':
      return `${who('by')} suspended provider ${who('provider')}`;
    case 'AdminAdded':
      return `${who('by')} made ${who('admin')} an admin`;
    case 'AdminRemoved':
      return `${who('by')} removed admin ${who('admin')}`;
    case 'RecordAdded':
      return `${who('author')} added ${names.recordType} record #${f.id} for ${who('patient')}`;
    case 'RecordRekeyed':
      return `${who('patient')} re-keyed record #${f.id}`;
    case 'Granted':
      return `${who('patient')} granted ${who('provider')} read [${types('readMask')}]${Number(f.writeMask) ? ` write [${types('writeMask')}]` : ''} until ${until('expiry')}`;
    case 'RecordsGranted':
      return `${who('patient')} granted ${who('provider')} records #${(f.ids as string[]).join(', #')} until ${until('expiry')}`;
    case 'Revoked':
      return `${who('patient')} revoked ${who('provider')}`;
    case 'AccessRequested':
      return `${who('provider')} asked ${who('patient')} for [${types('readMask')}]: “${f.reason}” (request ${f.requestId})`;
    case 'RequestApproved':
      return `${who('patient')} approved request ${f.requestId} of ${who('provider')}`;
    case 'RequestDenied':
      return `${who('patient')} denied request ${f.requestId} of ${who('provider')}`;
    case 'EmergencyOpened':
      return `EMERGENCY: ${who('provider')} opened break-glass access to ${who('patient')} until ${until('expiresAt')}: “${f.reason}”`;
    case 'EmergencyTypesSet':
      return `${who('patient')} made [${types('mask')}] emergency-visible`;
    case 'EmergencyRecipientSet':
      return `${who('by')} published the consortium emergency key`;
    case 'EmergencyKeysReleased':
      return `EMERGENCY: ${who('by')} released the keys of ${who('patient')}'s emergency-visible records to ${who('provider')}`;
    case 'RecordAccessed':
      // A receipt that does not match its record is not a read (CONTRACT.md § Read receipts).
      if (e.flag) return `FORGED receipt (not a read): ${who('reader')} logged record #${f.recordId} of ${who('patient')}, but ${e.flag}`;
      return `${who('reader')} read record #${f.recordId} of ${who('patient')}`;
    case 'RecordVoided':
      // A void from neither author nor patient changes nothing (CONTRACT.md § Void and dispense).
      if (e.flag) return `IGNORED void (not a void): ${who('by')} named record #${f.id} of ${who('patient')}, but ${e.flag}`;
      return `${who('by')} voided record #${f.id} of ${who('patient')} (entered in error): “${f.reason}”`;
    case 'RecordErased':
      // Only the record's patient erases it (CONTRACT.md § Erasure); the reason is sealed to the patient.
      if (e.flag) return `IGNORED erasure (not an erasure): ${who('patient')} named record #${f.id}, but ${e.flag}`;
      return `${who('patient')} ERASED record #${f.id} (crypto-shredding; reason sealed to the patient)`;
    case 'PrescriptionDispensed':
      if (e.flag) return `IGNORED dispense: ${who('by')} named record #${f.id} of ${who('patient')}, but ${e.flag}`;
      return `${who('by')} dispensed prescription #${f.id} of ${who('patient')}`;
    // Issue 24 § 1 (SHARING.md § 9): org names come from the chain; the renderer escapes them.
    case 'OrgCreated':
      return `${who('by')} registered organisation ${f.org}: “${f.name}”`;
    case 'OrgAdminSet':
      return `${who('by')} ${f.isOrgAdmin ? 'made' : 'removed'} ${who('account')} ${f.isOrgAdmin ? 'an admin of' : 'as admin of'} organisation ${f.org}`;
    case 'OrgMemberAdded':
      return `${who('by')} added ${who('provider')} to organisation ${f.org}${f.department ? ` (department “${f.department}”)` : ''}`;
    case 'OrgMemberRemoved':
      return `${who('by')} removed ${who('provider')} from organisation ${f.org}`;
    case 'OrgGranted':
      return `${who('patient')} granted organisation ${f.org}${Number(f.departmentTag) ? ' (one department)' : ''} read [${types('readMask')}] until ${until('expiry')}`;
    case 'OrgRevoked':
      return `${who('patient')} revoked organisation ${f.org}`;
    default:
      return `${e.kind} by ${name(e.actor)}`;
  }
}
