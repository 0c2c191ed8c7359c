/**
 * `emr audit --format csv` (docs/CLI.md § Sharing, `emr audit`): one row per event, the columns of
 * `data.events[]` a spreadsheet needs, plus the reason an event carries (a request, an
 * emergency, a void). Quoting and formula neutralisation: csv-text.ts.
 */
import { csvLines } from '../csv-text.js';
import type { AuditRow } from './audit.js';

export const AUDIT_CSV_COLUMNS = [
  'block',
  'time',
  'txHash',
  'event',
  'actor',
  'actorName',
  'patient',
  'subject',
  'recordId',
  'reason',
  'description',
] as const;

export function auditCsv(rows: readonly AuditRow[]): string[] {
  return csvLines(
    AUDIT_CSV_COLUMNS,
    rows.map((r) => [
      r.block,
      r.time,
      r.txHash,
      r.event,
      r.actor,
      r.actorName,
      r.patient,
      r.subject,
      r.recordId,
      typeof r.details.reason === 'string' ? r.details.reason : null,
      r.description,
    ]),
  );
}
