/**
 * What `emr record list` shows a person (docs/CLI.md § Records): one row per record, with
 * `--details` its care date, title, file and status; a line for what the limit or `--all`
 * left out; a warning for rows whose bytes this site could not read (issue 22 point 4).
 * Two dates, so the header names each (docs/FHIR.md § 6): REGISTERED (ON CHAIN) is the
 * block that added the record (what `--since`/`--until` filter), DATE OF CARE the date
 * signed inside it (what `--care-since`/`--care-until` filter). With the details open the
 * rows are in order of care (records without one last, in chain order); `--json` keeps
 * chain order.
 */

import type { View } from '../../output.js';
import type { ListedRecord, ListResult } from '../../records/list.js';
import { withOrgColumn } from '../../records/org-text.js';

interface ViewOptions {
  details: boolean;
  maxLimit: number;
  /** A known name for an address (local profiles), else a short address. */
  label(address: string): string;
  /** Terminal-safe text (records/clinical.ts `printable`, passed in: loaded only by the command). */
  printable(text: string | undefined): string | undefined;
}

/** Rows marked `unavailable`: what to pass to read them from this site. */
function missingWarning(n: number): string {
  return `${n} record(s) could not be read from this site's store (marked "not in this store"): pass --ipfs-gateway <url> of a site that serves them (\`emr store serve\`) or --ipfs-api <url> of a Kubo node that has them`;
}

/** Retention never deletes (docs/CLI.md § Records): the line says who decides. */
const retentionLine = (n: number) =>
  `${n} record(s) past retention (config \`retention\`): nothing is deleted for it; the patient decides (\`emr record erase <id>\`)`;

export function recordListView(res: ListResult & { voidedHidden: number }, o: ViewOptions): View & { warnings: string[] } {
  const care = (r: ListedRecord) => (r.date ?? r.encounterStart)?.slice(0, 10);
  const byCare = (a: { d?: string; i: number }, b: { d?: string; i: number }) =>
    a.d === b.d ? a.i - b.i : a.d === undefined ? 1 : b.d === undefined ? -1 : a.d < b.d ? -1 : 1;
  const ordered = o.details
    ? res.records
        .map((r, i) => ({ r, i, d: care(r) }))
        .sort(byCare)
        .map((x) => x.r)
    : res.records;
  const rows = ordered.map((r) => {
    const voided = r.erased
      ? `ERASED by ${o.label(r.erased.by)} on ${r.erased.at.slice(0, 10)}`
      : r.voided
        ? `VOIDED by ${o.label(r.voided.by)}: ${o.printable(r.voided.reason)}`
        : undefined;
    const registered = r.createdAt.replace('.000Z', 'Z');
    const past = r.pastRetention ? `PAST RETENTION (${r.retainUntil!.slice(0, 10)})` : undefined;
    if (!o.details) return [r.id, registered, r.type, o.label(r.patient), o.label(r.author), voided ?? (past ? `${past} ${r.cid}` : r.cid)];
    const status =
      voided ??
      past ??
      (r.supersededBy
        ? `superseded by ${r.supersededBy}`
        : r.supersedes
          ? `corrects ${r.supersedes}`
          : r.unavailable
            ? '(not in this store)'
            : r.readable === false
              ? '(cannot open)'
              : '');
    return [
      r.id,
      care(r),
      r.type,
      o.label(r.patient),
      o.label(r.author),
      registered,
      o.printable(r.title ?? undefined),
      o.printable(r.fileName ?? undefined),
      status,
    ];
  });
  const lines = res.more > 0 ? [`${res.more} more; use --limit ${Math.min(res.total, o.maxLimit)} or filters`] : [];
  if (res.pastRetention) lines.push(retentionLine(res.pastRetention));
  if (res.voidedHidden > 0) lines.push(`${res.voidedHidden} voided (entered-in-error) record(s) hidden; --all shows them`);
  const columns = o.details
    ? ['ID', 'DATE OF CARE', 'TYPE', 'PATIENT', 'AUTHOR', 'REGISTERED (ON CHAIN)', 'TITLE', 'FILE', 'STATUS']
    : ['ID', 'REGISTERED (ON CHAIN)', 'TYPE', 'PATIENT', 'AUTHOR', 'CID'];
  return {
    // SHARING.md § 9.7: with the details open, the organisation each record names.
    table: o.details ? withOrgColumn({ columns, rows }, ordered) : { columns, rows },
    lines,
    warnings: res.unavailable ? [missingWarning(res.unavailable)] : [],
  };
}
