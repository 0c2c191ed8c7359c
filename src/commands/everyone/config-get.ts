/** `emr config get <key>` (docs/CLI.md § Sites, stores and backup): one setting, URLs cut as everywhere (ops/config-settings.ts). */
import { defineCommand } from '../spec.js';

export const configGet = defineCommand({
  name: 'get',
  summary: 'print one setting of this home (URLs without their path and credentials)',
  args: ['<key>'],
  examples: ['emr config get rpcUrl', 'emr config get replicas --json'],
  async run(ctx, [key]: [string]) {
    const [{ openLocalSession }, { getSetting }] = await Promise.all([
      import('../../session/local.js'),
      import('../../ops/config-settings.js'),
    ]);
    const data = getSetting(await openLocalSession(ctx, { unlock: false }), key);
    const text = data.value === null ? '(not set)' : Array.isArray(data.value) ? data.value.join(',') : String(data.value);
    return { data, view: { lines: [text] } };
  },
});
