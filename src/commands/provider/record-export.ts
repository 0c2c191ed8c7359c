/**
 * `emr record export [--patient <who>] --format car|fhir -o <file>` (docs/STORAGE.md §
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
    { flags: '--format <format>', description: 'car (CARv1 of the stored blocks) or fhir (default: car for a *.car name)', choices: ['car', 'fhir'] },
    { flags: '-o, --output <file>', description: 'the file to write (never replaced without --force)' },
    { flags: '--force', description: 'replace an existing output file' },
  ],
  examples: ['emr record export -o history.car', 'emr record export --patient alice --format car -o alice.car', 'emr record export --format fhir -o bundle.json'],
  async run(ctx, _args, opts: { patient?: string; format?: 'car' | 'fhir'; output?: string; force?: boolean }) {
    if (!opts.output || opts.output === '-') throw new UsageError('record export needs -o <file>', { hint: 'e.g. -o history.car or --format fhir -o bundle.json' });
    const format = opts.format ?? (/\.car$/i.test(opts.output) ? 'car' : undefined);
    if (!format) throw new UsageError('which format?', { hint: 'pass --format car|fhir, or name the output *.car' });
    refuseOverwrite(opts.output, opts.force);
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor } = await import('../../session/store.js');
    const { resolveAddress } = await import('../../session/resolve.js');
    const patient = opts.patient ? await resolveAddress(ctx, opts.patient) : ctx.profile().address;
    if (format === 'fhir') {
      const { unlock } = await import('../../session/unlock.js');
      const { exportFhir } = await import('../../records/export-fhir.js');
      const { writeFileAtomic } = await import('../../fs-atomic.js');
      const me = await unlock(ctx);
      const res = await exportFhir({ home: ctx.home, chain: await chainFor(ctx), store: await storeFor(ctx), me }, patient);
      // PHI: the file is the user's own, written 0600 and only once complete.
      writeFileAtomic(opts.output, JSON.stringify(res.bundle, null, 1) + '\n', { mode: 0o600, overwrite: !!opts.force });
      return {
        data: { path: opts.output, format, records: res.records, resources: res.resources, unreadable: res.unreadable },
        view: {
          title: `Exported ${res.records} record(s), ${res.resources} FHIR resource(s) → ${opts.output}`,
          ...(res.unreadable.length ? { warnings: [`${res.unreadable.length} record(s) you cannot read were left out`] } : {}),
        },
      };
    }
    const { exportCar } = await import('../../records/export-car.js');
    if (opts.force) {
      const { rmSync } = await import('node:fs');
      rmSync(opts.output, { force: true });
    }
    const res = await exportCar({ chain: await chainFor(ctx), store: await storeFor(ctx), reader: ctx.profile().address }, patient, opts.output);
    return {
      data: { format, ...res },
      view: {
        title: `Exported ${res.records.length} record(s) and ${res.keyDeliveries.length} key delivery(ies) to ${res.path}`,
        fields: [['blocks', String(res.blocks)], ['sha256', res.sha256]],
      },
    };
  },
});
