/** `emr config import <file>` (docs/STORAGE.md § "A second device"): adopt another device's settings. */
import { defineCommand } from '../spec.js';

export const configImport = defineCommand({
  name: 'import',
  summary: 'adopt the chain, contract and store settings written by `emr config export`',
  args: ['<file>'],
  examples: ['emr config import emr-device.json'],
  async run(ctx, [file]: [string]) {
    const { importDeviceConfig } = await import('../../ops/device-config.js');
    const cfg = importDeviceConfig(ctx, file);
    return { data: { ...cfg, config: ctx.config.path } };
  },
});
