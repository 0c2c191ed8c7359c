/** `emr agent stop`: the agent zeroes its keys, removes its socket and exits. Harmless when none runs. */
import { defineCommand } from '../spec.js';

export const agentStop = defineCommand({
  name: 'stop',
  summary: 'make the key agent forget its keys and exit',
  examples: ['emr agent stop'],
  async run(ctx) {
    const { stopAgent } = await import('../../identity/agent-control.js');
    const r = await stopAgent(ctx.home);
    return {
      data: r,
      view: {
        title: r.stopped
          ? 'Key agent stopped; its keys are forgotten'
          : r.staleRemoved
            ? 'No key agent was running (a stale socket was removed)'
            : 'No key agent was running',
        lines: r.warning ? [`Note: ${r.warning}`] : [],
      },
    };
  },
});
