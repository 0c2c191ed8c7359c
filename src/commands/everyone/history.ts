/**
 * `emr history [--patient <who>] [--care-since] [--care-until] [--type] [--all]` (docs/CLI.md
 * § history; docs/FHIR.md § 11): the patient's records as a timeline, one line per
 * dated clinical item (date of care first), from every record the profile may read.
 */
import { defineCommand } from '../spec.js';

interface Opts {
  patient?: string;
  careSince?: string;
  careUntil?: string;
  type?: string;
  all?: boolean;
}

export const history = defineCommand({
  name: 'history',
  summary: 'a patient’s history as it happened: one line per dated visit, result, diagnosis, vaccine…',
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name (default: the acting profile)' },
    { flags: '--care-since <date>', description: 'only items whose date of care is on or after this date (YYYY, YYYY-MM or YYYY-MM-DD)' },
    { flags: '--care-until <date>', description: 'only items whose date of care is on or before this date' },
    { flags: '--type <types>', description: 'only records of these types (comma-separated, as `emr record types`)' },
    { flags: '--all', description: 'also the items of records a later correction replaced (marked)' },
  ],
  examples: ['emr history', 'emr history --patient alice --care-since 2020 --care-until 2020', 'emr history --type lab,vitals --json'],
  async run(ctx, _args, opts: Opts) {
    const [{ openSession }, flow] = await Promise.all([import('../../session/index.js'), import('../../records/history.js')]);
    const input = flow.historyInput(opts);
    const s = await openSession(ctx, { chain: true, unlock: true, store: true });
    const res = await flow.historyFlow(s, input);
    const notes = [
      res.unreadable.length ? `${res.unreadable.length} record(s) you may not read are not shown` : '',
      res.undated ? `${res.undated} item(s) without a date of care are not shown (emr record show <record>)` : '',
      res.superseded ? `${res.superseded} item(s) of corrected records are not shown (--all)` : '',
      res.voidedHidden ? `${res.voidedHidden} voided (entered-in-error) record(s) are not shown (--all)` : '',
      res.truncated ? `only the oldest ${res.items.length} items are shown` : '',
      ...res.erased.map((e) => `${e.at.slice(0, 10)}  record #${e.record} ERASED by ${ctx.label(e.by)} (its content is gone)`),
    ].filter(Boolean);
    const warnings = res.damaged.length
      ? [`record(s) ${res.damaged.join(', ')} failed verification and are not shown (emr verify <id>)`]
      : [];
    return {
      data: res,
      view: {
        table: flow.historyTable(res.items, (a) => ctx.label(a)),
        lines: notes,
        warnings,
      },
    };
  },
});
