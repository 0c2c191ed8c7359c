/**
 * `emr demo` (docs/CLI.md § Batch and demo): keys, registration, a record, a grant, a fetch, a
 * revoke with re-key, a refused fetch and the audit trail, on the embedded defaults. Uses
 * a throw-away home unless `--home` is given; starts (and afterwards stops) its devnet.
 */
import { defineCommand } from '../spec.js';

export const demo = defineCommand({
  name: 'demo',
  summary: 'run the whole story on a local chain and IPFS store, narrating each step',
  options: [{ flags: '--keep', description: 'leave the demo devnet running afterwards' }],
  async run(ctx, _args, opts: { keep?: boolean }) {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const home = ctx.globals.homeExplicit ? ctx.home : mkdtempSync(join(tmpdir(), 'emr-demo-'));
    const { runDemo } = await import('../../records/demo.js');
    const res = await runDemo({ home, keep: !!opts.keep, narrate: (l) => ctx.narrate(l), now: () => ctx.clock.now() });
    return {
      data: res,
      view: {
        lines: [
          '',
          `Demo complete: ${res.steps.length} steps, record #${res.recordId} on chain ${res.chainId} (contract ${res.contract}).`,
        ],
      },
    };
  },
});
