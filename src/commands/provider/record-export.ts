/**
 * `emr record export [--patient <who>] --format car|fhir -o <file> [--history] [--inline]` (docs/STORAGE.md §
 * "CAR files", docs/FHIR.md § 9). A thin switch over the two export flows; the format may
 * be inferred from a `.car` file name.
 */
import { UsageError } from '../../errors.js';
import { refuseOverwrite } from '../output-file.js';
import { defineCommand } from '../spec.js';

export const recordExport = defineCommand({
  name: 'export',
  summary: 'export the records you may read: a CAR backup (ciphertext, CIDs unchanged) or one FHIR R4 Bundle',
  options: [
    { flags: '--patient <who>', description: 'whose records: 0x address or profile name (default: the acting profile)' },
    {
      flags: '--format <format>',
      description: 'car (CARv1 of the stored blocks) or fhir (default: car for a *.car name)',
      choices: ['car', 'fhir'],
    },
    { flags: '-o, --output <file>', description: 'the file to write (never replaced without --force)' },
    { flags: '--force', description: 'replace an existing output file' },
    { flags: '--history', description: 'fhir: every version of each resource (meta.versionId), not only the current ones' },
    { flags: '--inline', description: 'fhir: put the bytes of non-FHIR files into their DocumentReference' },
  ],
  examples: [
    'emr record export -o history.car',
    'emr record export --patient alice --format car -o alice.car',
    'emr record export --format fhir -o bundle.json',
    'emr record export --format fhir --history --inline -o everything.json',
  ],
  async run(
    ctx,
    _args,
    opts: { patient?: string; format?: 'car' | 'fhir'; output?: string; force?: boolean; history?: boolean; inline?: boolean },
  ) {
    if (!opts.output || opts.output === '-')
      throw new UsageError('record export needs -o <file>', { hint: 'e.g. -o history.car or --format fhir -o bundle.json' });
    const format = opts.format ?? (/\.car$/i.test(opts.output) ? 'car' : undefined);
    if (!format) throw new UsageError('which format?', { hint: 'pass --format car|fhir, or name the output *.car' });
    if (format !== 'fhir' && (opts.history || opts.inline))
      throw new UsageError('--history and --inline apply to --format fhir', { hint: 'a CAR holds every stored block already' });
    refuseOverwrite(opts.output, opts.force);
    const [{ openSession }, flows] = await Promise.all([import('../../session/index.js'), import('../../records/record-export.js')]);
    const input = {
      patient: opts.patient,
      format,
      output: opts.output,
      force: !!opts.force,
      history: !!opts.history,
      inline: !!opts.inline,
    };
    if (format === 'fhir') {
      const data = await flows.exportFhirFlow(await openSession(ctx, { unlock: true, chain: true, store: true }), input);
      return {
        data,
        view: {
          title: `Exported ${data.records} record(s), ${data.resources} FHIR resource(s) → ${data.path}`,
          ...(data.unreadable.length ? { warnings: [`${data.unreadable.length} record(s) you cannot read were left out`] } : {}),
        },
      };
    }
    const data = await flows.exportCarFlow(await openSession(ctx, { chain: true, store: true }), input);
    return {
      data,
      view: {
        title: `Exported ${data.records.length} record(s) and ${data.keyDeliveries.length} key delivery(ies) to ${data.path}`,
        fields: [
          ['blocks', String(data.blocks)],
          ['sha256', data.sha256],
        ],
      },
    };
  },
});
