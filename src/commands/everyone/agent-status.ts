/** `emr agent status`: a query; "not running" is an answer (exit 0). A stale socket is removed. */
import { defineCommand } from '../spec.js';

export const agentStatus = defineCommand({
  name: 'status',
  summary: 'is a key agent running, and which profiles does it hold',
  examples: ['emr agent status --json'],
  async run(ctx) {
    const { agentStatus: status } = await import('../../identity/agent-control.js');
    const st = await status(ctx.home);
    return {
      data: st,
      view: {
        title: st.running ? 'Key agent running' : 'No key agent running',
        fields: st.running
          ? [
              ['pid', st.pid],
              ['socket', st.socket],
              ['idle timeout', st.idleTimeoutSeconds === null ? null : `${st.idleTimeoutSeconds} s`],
              ['profiles', st.profiles.map((p) => p.name).join(', ')],
            ]
          : [],
        lines: st.running
          ? []
          : [st.staleRemoved ? 'A stale socket was removed. Start one with `emr agent start`.' : 'Start one with `emr agent start`.'],
      },
    };
  },
});
