/**
 * `emr record export [--patient <who>] --format car|fhir -o <file>` (docs/STORAGE.md §
 * "CAR files"): a thin switch over the export flows. The format may be inferred from a
 * `.car` file name.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';
import { refuseOverwrite } from '../output-file.js';

export const recordExport = defineCommand({
  name: 'export',
  summary: 'export every record you may read: a CAR backup (ciphertext, CIDs unchanged) or FHIR',
  options: [
    { flags: '--patient <who>', description: 'whose records: 0x address or profile name (default: the acting profile)' },
    { flags: '--format <format>', description: 'car (CARv1 of the stored blocks) or fhir (default: from the -o name)', choices: ['car', 'fhir'] },
    { flags: '-o, --output <file>', description: 'the file to write (never replaced without --force)' },
    { flags: '--force', description: 'replace an existing output file' },
  ],
  examples: ['emr record export -o history.car', 'emr record export --patient alice --format car -o alice.car'],
  async run(ctx, _args, opts: { patient?: string; format?: 'car' | 'fhir'; output?: string; force?: boolean }) {
    if (!opts.output || opts.output === '-') throw new UsageError('record export needs -o <file>', { hint: 'e.g. -o history.car' });
    const format = opts.format ?? (/\.car$/i.test(opts.output) ? 'car' : undefined);
    if (!format) throw new UsageError('which format?', { hint: 'pass --format car|fhir, or name the output *.car' });
    if (format === 'fhir') throw new UsageError('--format fhir is not available in this build', { hint: 'use --format car' });
    refuseOverwrite(opts.output, opts.force);
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor } = await import('../../session/store.js');
    const { resolveAddress } = await import('../../identity/resolve.js');
    const { exportCar } = await import('../../records/export-car.js');
    const reader = ctx.profile().address;
    const patient = opts.patient ? await resolveAddress(ctx, opts.patient) : reader;
    if (opts.force) {
      const { rmSync } = await import('node:fs');
      rmSync(opts.output, { force: true });
    }
    const res = await exportCar({ chain: await chainFor(ctx), store: await storeFor(ctx), reader }, patient, opts.output);
    return {
      data: { format, ...res },
      view: {
        title: `Exported ${res.records.length} record(s) and ${res.keyDeliveries.length} key delivery(ies) to ${res.path}`,
        fields: [['blocks', String(res.blocks)], ['sha256', res.sha256]],
      },
    };
  },
});
