/**
 * `emr admin emergency release <patient> <provider>` (docs/SHARING.md § 4.2): the consortium
 * key custodian hands the file keys of the patient's emergency-visible records to a provider
 * whose break-glass access is open. Refused (exit 3) when no emergency is open; the release
 * itself is on chain and in the patient's audit.
 */
import { defineCommand } from '../spec.js';
import { requireAdmin } from './require-admin.js';

export const emergencyRelease = defineCommand({
  name: 'emergency-release',
  summary: 'deliver emergency-visible record keys to a provider with open break-glass access (admin, key custodian)',
  args: ['<patient>', '<provider>'],
  async run(ctx, [patientArg, providerArg]: [string, string]) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor } = await import('../../session/store.js');
    const { releaseEmergency } = await import('../../records/emergency.js');
    const patient = await resolveAddress(ctx, patientArg);
    const provider = await resolveAddress(ctx, providerArg);
    const me = await unlock(ctx);
    const chain = await chainFor(ctx, { signer: true });
    await requireAdmin(chain);
    const res = await releaseEmergency({ chain, store: await storeFor(ctx), me }, patient, provider);
    const name = (a: string) => ctx.profiles.byAddress(a)?.name ?? a;
    return {
      data: { patient, provider, ...res },
      view: {
        title: res.released.length
          ? `Released ${res.released.length} record key(s) of ${name(patient)} to ${name(provider)}`
          : 'Nothing to release',
        fields: [
          ['records', res.released.join(', ') || '-'],
          ['not releasable', res.unavailable.join(', ') || '-'],
          ['emergency until', res.expiresAt],
          ['tx', res.txHash],
        ],
        warnings: res.unavailable.length
          ? [`record(s) ${res.unavailable.join(', ')} were added before their type was emergency-visible; the consortium cannot open them`]
          : [],
      },
    };
  },
});
