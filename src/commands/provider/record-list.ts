/**
 * `emr record list [--patient] [--author] [--type] [--since] [--until] [--care-since]
 * [--care-until] [--limit] [--details] [--all]` (docs/CLI.md § Records; docs/FHIR.md § 6):
 * from chain events; `--details` decrypts the metadata the reader can open (cached,
 * encrypted to the profile); a care-date filter needs that metadata, so it implies it.
 */
import type { ListFlags } from '../../records/record-list.js';
import { defineCommand } from '../spec.js';
import { recordListView } from './record-list-view.js';

/** Rows a person sees without --limit (scripts with --json get everything). */
export const HUMAN_DEFAULT_LIMIT = 50;

export const recordList = defineCommand({
  name: 'list',
  summary: 'list registered records (of a patient, or that you authored or own)',
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name (default: the acting profile)' },
    { flags: '--author <who>', description: 'only records by this author' },
    { flags: '--type <types>', description: 'only these record types (comma-separated)' },
    { flags: '--since <date>', description: 'only records registered on chain on or after this date (YYYY-MM-DD or ISO 8601)' },
    { flags: '--until <date>', description: 'only records registered on chain on or before this date' },
    {
      flags: '--care-since <date>',
      description: 'only records whose signed date of care is on or after this date (YYYY[-MM[-DD]]; implies --details)',
    },
    { flags: '--care-until <date>', description: 'only records whose signed date of care is on or before this date (implies --details)' },
    {
      flags: '--limit <n>',
      description: `show the n most recent matching records (default ${HUMAN_DEFAULT_LIMIT} for people; all with --json)`,
    },
    { flags: '--details', description: 'decrypt the metadata you can open: title, date of care, file name, encounter, corrections' },
    { flags: '--all', description: 'include voided (entered-in-error) records, marked with who voided them and why' },
  ],
  examples: [
    'emr record list --type lab,imaging --since 2026-01-01 --details',
    'emr record list --care-since 2020 --care-until 2020',
    'emr record list --patient alice --limit 500 --json',
  ],
  async run(ctx, _args, opts: ListFlags) {
    const [{ openSession }, { listData, listInput, recordListFlow, MAX_LIMIT }, { printable }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/record-list.js'),
      import('../../records/clinical.js'),
    ]);
    const input = listInput(opts, ctx.json ? undefined : HUMAN_DEFAULT_LIMIT);
    // Type names need the patient's key (docs/CONTRACT.md § Privacy): unlocked when answerable.
    const s = await openSession(ctx, { chain: true, unlock: input.details || 'ifAnswerable', store: input.details });
    const res = await recordListFlow(s, input);
    const view = recordListView(res, { details: input.details, maxLimit: MAX_LIMIT, label: ctx.labeler('short'), printable });
    return {
      data: {
        ...listData(res),
        ...(view.warnings.length ? { warnings: view.warnings } : {}),
      },
      view,
    };
  },
});
