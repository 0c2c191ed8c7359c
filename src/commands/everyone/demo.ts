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
    const { runDemo } = await import('../../records/demo.js');
    // A throw-away home unless one was named (--home or EMR_HOME).
    const res = await runDemo({
      home: ctx.globals.homeExplicit ? ctx.home : undefined,
      keep: !!opts.keep,
      narrate: (l) => ctx.narrate(l),
      now: () => ctx.clock.now(),
      env: ctx.env,
    });
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
