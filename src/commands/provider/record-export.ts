/**
 * `emr record export [--patient <who>] --format car|fhir -o <file>` (docs/FHIR.md § 9).
 * A thin switch: each format is its own flow (`fhir`: src/records/export-fhir.ts).
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const recordExport = defineCommand({
  name: 'export',
  summary: 'export the records you can read (fhir: one FHIR R4 Bundle)',
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name (default: the acting profile)' },
    { flags: '--format <format>', description: 'car or fhir', choices: ['car', 'fhir'] },
    { flags: '-o, --output <file>', description: 'where to write it' },
    { flags: '--force', description: 'overwrite the output file' },
  ],
  examples: ['emr record export --format fhir -o bundle.json', 'emr record export --patient alice --format fhir -o alice.json'],
  async run(ctx, _args, opts: { patient?: string; format?: string; output?: string; force?: boolean }) {
    if (!opts.format) throw new UsageError('missing --format car|fhir', { hint: 'fhir: one FHIR R4 Bundle of the records you can read' });
    if (opts.format === 'car') throw new UsageError('--format car is not available in this build', { hint: 'use --format fhir' });
    if (!opts.output) throw new UsageError('missing -o <file>', { hint: 'emr record export --format fhir -o bundle.json' });
    const { refuseOverwrite } = await import('../output-file.js');
    refuseOverwrite(opts.output, opts.force);
    const { resolveAddress } = await import('../../identity/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor } = await import('../../session/store.js');
    const { unlock } = await import('../../identity/unlock.js');
    const { exportFhir } = await import('../../records/export-fhir.js');
    const { writeFileAtomic } = await import('../../fs-atomic.js');
    const patient = opts.patient ? await resolveAddress(ctx, opts.patient) : ctx.profile().address;
    const me = await unlock(ctx);
    const chain = await chainFor(ctx);
    const res = await exportFhir({ home: ctx.home, chain, store: await storeFor(ctx), me }, patient);
    // PHI: the file is the user's own, written 0600 and only once complete.
    writeFileAtomic(opts.output, JSON.stringify(res.bundle, null, 1) + '\n', { mode: 0o600, overwrite: !!opts.force });
    return {
      data: { path: opts.output, format: 'fhir', records: res.records, resources: res.resources, unreadable: res.unreadable },
      view: {
        title: `Exported ${res.records} record(s), ${res.resources} FHIR resource(s) → ${opts.output}`,
        ...(res.unreadable.length ? { warnings: [`${res.unreadable.length} record(s) you cannot read were left out`] } : {}),
      },
    };
  },
});
