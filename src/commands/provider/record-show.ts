/**
 * `emr record show <id>` (docs/CLI.md § record show; docs/FHIR.md § 11.3): one record
 * rendered for a person: FHIR resources as text, any other file as its signed metadata and
 * a hint to `fetch` it. `--json` gives the parsed resources.
 */
import { UsageError } from '../../errors.js';
import type { FieldValue } from '../../output.js';
import { defineCommand } from '../spec.js';

export const recordShow = defineCommand({
  name: 'show',
  summary: 'show one record as text: results with units and ranges, diagnoses, medications, vaccines…',
  args: ['<recordId>'],
  examples: ['emr record show 12', 'emr record show 12 --json'],
  async run(ctx, [idArg]: [string]) {
    if (!/^\d{1,20}$/.test(idArg))
      throw new UsageError(`not a record id: ${idArg.slice(0, 40)}`, { hint: 'record ids are numbers, see `emr record list`' });
    const [{ openSession }, { showRecordFlow }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/show-record.js'),
    ]);
    const s = await openSession(ctx, { chain: true, unlock: true, store: true });
    const r = await showRecordFlow(s, BigInt(idArg));
    const fields: Array<[string, FieldValue]> = [
      ['type', r.type],
      ['patient', ctx.label(r.patient, 'withAddress')],
      ['author', ctx.label(r.author, 'withAddress')],
      ['date of care', r.careDate ?? r.encounterStart ?? '(none signed)'],
      ['signed', r.createdAt],
    ];
    if (r.encounterStart || r.encounterEnd) fields.push(['encounter', `${r.encounterStart ?? '?'} – ${r.encounterEnd ?? '?'}`]);
    if (r.facility) fields.push(['facility', r.facility]);
    if (r.mrn) fields.push(['MRN', r.mrn]);
    if (r.supersedes) fields.push(['corrects', `record ${r.supersedes}`]);
    fields.push(['file', `${r.fileName ?? '(no name)'}, ${r.size} bytes, sha256 ${r.sha256}`]);
    if (r.dispensed !== undefined)
      fields.push(['dispensed', r.dispensed ? `by ${ctx.label(r.dispensed.by, 'withAddress')} at ${r.dispensed.at}` : 'not yet']);
    const warnings = [
      r.voided
        ? `record ${r.id} was voided (entered in error) by ${ctx.label(r.voided.by, 'withAddress')} on ${r.voided.at}: ${r.voided.reason}`
        : '',
      r.supersededBy
        ? `record ${r.id} is superseded by record ${r.supersededBy} (a correction); show that one for the current version`
        : '',
    ].filter(Boolean);
    const lines: string[] = [];
    for (const x of r.rendered ?? []) {
      lines.push('', `${x.date ? x.date.slice(0, 10) : '(no date)'}  ${x.kind}  ${x.summary}`);
      for (const [label, value] of x.details) lines.push(`    ${label}: ${value}`);
    }
    if (!r.fhir || r.tooLarge)
      lines.push(
        '',
        `${r.tooLarge ? 'Too large to show here' : 'Not FHIR: its content is a file'}; save it with \`emr fetch ${r.id} -o <file>\``,
      );
    return {
      data: r,
      view: {
        title: `Record ${r.id}: ${r.title ?? r.type}`,
        fields,
        lines,
        warnings,
      },
    };
  },
});
