/** `emr config import <file>` (docs/STORAGE.md § "A second device"): adopt another device's settings (ops/device-config.ts). */
import { defineCommand } from '../spec.js';

export const configImport = defineCommand({
  name: 'import',
  summary: 'adopt the chain, contract and store settings written by `emr config export`',
  args: ['<file>'],
  examples: ['emr config import emr-device.json'],
  async run(ctx, [file]: [string]) {
    const [{ openChainSession }, { importConfigFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../ops/device-config.js'),
    ]);
    return { data: importConfigFlow(await openChainSession(ctx, {}), file) };
  },
});
