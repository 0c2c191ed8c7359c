/**
 * `emr whois <who>` (docs/CLI.md § Network): a query. An unregistered address is an answer
 * (`registered: false`, exit 0); an unknown profile name is exit 7 (identity/whois.ts).
 */
import { defineCommand } from '../spec.js';

export const whois = defineCommand({
  name: 'whois',
  summary: 'show an account’s role, verification and published encryption key',
  args: ['<who>'],
  examples: ['emr whois dr-bob', 'emr whois 0xAbc… --json'],
  async run(ctx, [who]: [string]) {
    const [{ openChainSession }, { whoisFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/whois.js'),
    ]);
    const data = await whoisFlow(await openChainSession(ctx, { chain: true }), who);
    const status = !data.registered
      ? 'not registered'
      : data.role === 'provider'
        ? data.suspended
          ? 'provider, SUSPENDED'
          : data.verified
            ? 'provider, verified'
            : 'provider, not verified'
        : String(data.role);
    return {
      data,
      view: {
        title: ctx.label(data.address, 'withAddress'),
        fields: [
          ['status', status],
          ['admin', data.admin],
          ['recipient', data.recipient],
          ['key published', data.keyUpdatedAt],
        ],
      },
    };
  },
});
