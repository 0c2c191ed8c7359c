/** `emr config show` (docs/CLI.md § Sites, stores and backup): every setting, URLs cut as `doctor` cuts them (ops/config-settings.ts). */
import { defineCommand } from '../spec.js';

export const configShow = defineCommand({
  name: 'show',
  summary: 'print this home’s settings (URLs without their path and credentials)',
  examples: ['emr config show', 'emr config show --json'],
  async run(ctx) {
    const [{ openLocalSession }, { showSettings }] = await Promise.all([
      import('../../session/local.js'),
      import('../../ops/config-settings.js'),
    ]);
    const data = showSettings(await openLocalSession(ctx, { unlock: false }));
    const text = (v: unknown) => (v === null ? '-' : Array.isArray(v) ? v.join(', ') : String(v));
    return {
      data,
      view: { title: `Settings (${data.config})`, fields: Object.entries(data.settings).map(([k, v]) => [k, text(v)] as [string, string]) },
    };
  },
});
