/** `emr config export [-o <file>]` (docs/STORAGE.md § "A second device"): settings, no secrets (ops/device-config.ts). */

import { refuseOverwrite } from '../output-file.js';
import { defineCommand } from '../spec.js';

export const configExport = defineCommand({
  name: 'export',
  summary: 'write the chain, contract and store settings another device needs (no secrets)',
  options: [
    { flags: '-o, --output <file>', description: 'write the settings to this file (default: only print them)' },
    { flags: '--force', description: 'replace an existing output file' },
  ],
  examples: ['emr config export -o emr-device.json'],
  async run(ctx, _args, opts: { output?: string; force?: boolean }) {
    if (opts.output) refuseOverwrite(opts.output, opts.force);
    const [{ openChainSession }, { exportConfigFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../ops/device-config.js'),
    ]);
    return { data: await exportConfigFlow(await openChainSession(ctx, {}), { output: opts.output, force: !!opts.force }) };
  },
});
