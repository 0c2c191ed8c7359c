/** `emr devnet down` (docs/CLI.md § Network): stop the embedded chain; its state is kept for `up`. */
import { defineCommand } from '../spec.js';

export const devnetDown = defineCommand({
  name: 'down',
  summary: 'stop the embedded local chain (its state is kept)',
  async run(ctx) {
    const { devnetDown: down, readDevnetRecord } = await import('../../chain/devnet.js');
    const { stopped } = await down({ home: ctx.home });
    const rec = readDevnetRecord(ctx.home);
    const data = { rpcUrl: rec?.rpcUrl ?? null, chainId: rec?.chainId ?? null, contract: rec?.contract ?? null, stopped };
    return {
      data,
      view: { title: stopped ? 'Devnet stopped (state kept; `emr devnet up` resumes it)' : 'Devnet was not running' },
    };
  },
});
