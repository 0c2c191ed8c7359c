/**
 * `emr record list [--patient] [--author] [--type] [--since] [--until] [--limit] [--details]`
 * (docs/CLI.md § Records; docs/FHIR.md § 6): from chain events; `--details` decrypts the
 * metadata the reader can open (cached, encrypted to the profile).
 */
import { defineCommand } from '../spec.js';

/** Rows marked `unavailable` (issue 22 point 4): what to pass to read them from this site. */
function missingWarning(n: number): string {
  return `${n} record(s) could not be read from this site's store (marked "not in this store"): pass --ipfs-gateway <url> of a site that serves them (\`emr store serve\`) or --ipfs-api <url> of a Kubo node that has them`;
}

/** Rows a person sees without --limit (scripts with --json get everything). */
export const HUMAN_DEFAULT_LIMIT = 50;

interface Opts {
  patient?: string;
  author?: string;
  type?: string;
  since?: string;
  until?: string;
  limit?: string;
  details?: boolean;
  all?: boolean;
}

export const recordList = defineCommand({
  name: 'list',
  summary: 'list registered records (of a patient, or that you authored or own)',
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name (default: the acting profile)' },
    { flags: '--author <who>', description: 'only records by this author' },
    { flags: '--type <types>', description: 'only these record types (comma-separated)' },
    { flags: '--since <date>', description: 'only records registered on or after this date (YYYY-MM-DD or ISO 8601)' },
    { flags: '--until <date>', description: 'only records registered on or before this date' },
    {
      flags: '--limit <n>',
      description: `show the n most recent matching records (default ${HUMAN_DEFAULT_LIMIT} for people; all with --json)`,
    },
    { flags: '--details', description: 'decrypt the metadata you can open: title, date of care, file name, encounter, corrections' },
    { flags: '--all', description: 'include voided (entered-in-error) records, marked with who voided them and why' },
  ],
  examples: ['emr record list --type lab,imaging --since 2026-01-01 --details', 'emr record list --patient alice --limit 500 --json'],
  async run(ctx, _args, opts: Opts) {
    const [{ openSession }, { listInput, recordListFlow, MAX_LIMIT }, { printable }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/record-list.js'),
      import('../../records/clinical.js'),
    ]);
    const input = listInput(opts, ctx.json ? undefined : HUMAN_DEFAULT_LIMIT);
    const s = await openSession(ctx, { chain: true, unlock: input.details, store: input.details });
    const res = await recordListFlow(s, input);
    // Known names: local profiles (addresses are public; names are the user's own labels).
    const rows = res.records.map((r) => {
      const voided = r.voided ? `VOIDED by ${ctx.label(r.voided.by, 'short')}: ${printable(r.voided.reason)}` : undefined;
      const base = [r.id, r.createdAt.replace('.000Z', 'Z'), r.type, ctx.label(r.patient, 'short'), ctx.label(r.author, 'short')];
      if (!opts.details) return [...base, voided ?? r.cid];
      const status =
        voided ??
        (r.supersededBy
          ? `superseded by ${r.supersededBy}`
          : r.supersedes
            ? `corrects ${r.supersedes}`
            : r.unavailable
              ? '(not in this store)'
              : r.readable === false
                ? '(cannot open)'
                : '');
      return [...base, r.date?.slice(0, 10), printable(r.title ?? undefined), printable(r.fileName ?? undefined), status];
    });
    const lines = res.more > 0 ? [`${res.more} more; use --limit ${Math.min(res.total, MAX_LIMIT)} or filters`] : [];
    if (res.voidedHidden > 0) lines.push(`${res.voidedHidden} voided (entered-in-error) record(s) hidden; --all shows them`);
    const warnings = res.unavailable ? [missingWarning(res.unavailable)] : [];
    return {
      data: {
        records: res.records,
        total: res.total,
        more: res.more,
        voidedHidden: res.voidedHidden,
        ...(warnings.length ? { warnings } : {}),
      },
      view: {
        table: {
          columns: opts.details
            ? ['ID', 'CREATED', 'TYPE', 'PATIENT', 'AUTHOR', 'CARE DATE', 'TITLE', 'FILE', 'STATUS']
            : ['ID', 'CREATED', 'TYPE', 'PATIENT', 'AUTHOR', 'CID'],
          rows,
        },
        lines,
        warnings,
      },
    };
  },
});
