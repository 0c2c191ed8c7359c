/** `emr config set <key> <value>` (docs/CLI.md § Sites, stores and backup): checked, then saved atomically (ops/config-settings.ts). */
import { defineCommand } from '../spec.js';

export const configSet = defineCommand({
  name: 'set',
  summary: 'change one setting of this home (an empty value removes it)',
  args: ['<key>', '<value>'],
  examples: [
    'emr config set rpcUrl https://rpc.example.org',
    'emr config set ipfsGateways https://a.example,https://b.example',
    'emr config set replicas ""',
  ],
  async run(ctx, [key, value]: [string, string]) {
    const [{ openLocalSession }, { setSetting }] = await Promise.all([
      import('../../session/local.js'),
      import('../../ops/config-settings.js'),
    ]);
    const data = setSetting(await openLocalSession(ctx, { unlock: false }), key, value);
    const shown = data.value === null ? '(removed)' : Array.isArray(data.value) ? data.value.join(',') : String(data.value);
    return { data, view: { title: `${data.key} = ${shown}`, fields: [['config', data.config]] } };
  },
});
