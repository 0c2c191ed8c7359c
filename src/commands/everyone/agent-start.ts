/**
 * `emr agent start [--timeout <dur>]`: unlock the acting profile once and let a key agent
 * hold its key in memory for a bounded idle time (docs/KEYSTORE.md § 6). Starting again
 * adds the acting profile to the running agent (and sets a new --timeout).
 */
import { defineCommand } from '../spec.js';

export const agentStart = defineCommand({
  name: 'start',
  summary: 'hold the acting profile’s unlocked key in memory, behind a private socket',
  options: [
    {
      flags: '--timeout <dur>',
      description: 'idle time after which the agent forgets its keys and exits: 30s, 15m, 2h (default 15m, at most 24h)',
    },
  ],
  examples: ['emr agent start', 'emr agent start --timeout 1h --profile dr-bob'],
  async run(ctx, _args, opts: { timeout?: string }) {
    const { startAgent } = await import('../../identity/agent-control.js');
    const r = await startAgent(ctx, opts.timeout);
    const data = {
      running: r.running,
      started: r.started,
      pid: r.pid,
      socket: r.socket,
      idleTimeoutSeconds: r.idleTimeoutSeconds,
      profiles: r.profiles,
    };
    return {
      data,
      view: {
        title: r.started ? `Key agent started; it holds '${r.profile}'` : `Key agent running; it now holds '${r.profile}'`,
        fields: [
          ['pid', r.pid],
          ['socket', r.socket],
          ['idle timeout', r.idleTimeoutSeconds === null ? null : `${r.idleTimeoutSeconds} s`],
          ['profiles', r.profiles.map((p) => p.name).join(', ')],
        ],
        lines: ['Commands use it without asking for the passphrase; `emr agent stop` forgets the keys.'],
      },
    };
  },
});
