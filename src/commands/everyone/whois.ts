/**
 * `emr whois <who>` (docs/CLI.md § Network): a query. An unregistered address is an answer
 * (`registered: false`, exit 0); an unknown profile name is exit 7 (resolveAddress).
 */
import { defineCommand } from '../spec.js';

export const whois = defineCommand({
  name: 'whois',
  summary: 'show an account’s role, verification and published encryption key',
  args: ['<who>'],
  examples: ['emr whois dr-bob', 'emr whois 0xAbc… --json'],
  async run(ctx, [who]: [string]) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { whois: lookup } = await import('../../chain/whois.js');
    const address = await resolveAddress(ctx, who);
    const chain = await chainFor(ctx);
    const info = await lookup(chain, address);
    const profile = ctx.profiles.byAddress(address)?.name ?? null;
    const data = {
      address,
      registered: info.registered,
      role: info.role,
      verified: info.verified,
      recipient: info.recipient,
      suspended: info.suspended,
      admin: info.admin,
      profile,
      keyUpdatedAt: info.keyUpdatedAt ? new Date(info.keyUpdatedAt * 1000).toISOString() : null,
    };
    const status = !info.registered ? 'not registered' : info.role === 'provider' ? (info.suspended ? 'provider, SUSPENDED' : info.verified ? 'provider, verified' : 'provider, not verified') : String(info.role);
    return {
      data,
      view: {
        title: profile ? `${address} (${profile})` : address,
        fields: [
          ['status', status],
          ['admin', info.admin],
          ['recipient', info.recipient],
          ['key published', data.keyUpdatedAt],
        ],
      },
    };
  },
});
