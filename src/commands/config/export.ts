/** `emr config export [-o <file>]` (docs/STORAGE.md § "A second device"): settings, no secrets. */

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
    const { exportDeviceConfig } = await import('../../ops/device-config.js');
    if (opts.output) refuseOverwrite(opts.output, opts.force);
    const cfg = await exportDeviceConfig(ctx);
    if (opts.output) {
      const { writeFileAtomic } = await import('../../fs-atomic.js');
      writeFileAtomic(opts.output, JSON.stringify(cfg, null, 2) + '\n', { mode: 0o600, overwrite: !!opts.force });
    }
    return { data: { ...cfg, ...(opts.output ? { path: opts.output } : {}) } };
  },
});
