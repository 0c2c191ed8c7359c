/**
 * `emr admin emergency release <patient> <provider>` (docs/SHARING.md § 4.2): the consortium
 * key custodian hands the file keys of the patient's emergency-visible records to a provider
 * whose break-glass access is open. Refused (exit 3) when no emergency is open; the release
 * itself is on chain and in the patient's audit.
 */
import { defineCommand } from '../spec.js';

export const adminEmergencyRelease = defineCommand({
  name: 'emergency-release',
  summary: 'deliver emergency-visible record keys to a provider with open break-glass access (admin, key custodian)',
  args: ['<patient>', '<provider>'],
  async run(ctx, [patientArg, providerArg]: [string, string]) {
    const [{ openSession }, { releaseEmergencyFlow }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/emergency.js'),
    ]);
    const data = await releaseEmergencyFlow(await openSession(ctx, { signer: true, store: true }), patientArg, providerArg);
    const { patient, provider, released, unavailable } = data;
    return {
      data,
      view: {
        title: released.length
          ? `Released ${released.length} record key(s) of ${ctx.label(patient)} to ${ctx.label(provider)}`
          : 'Nothing to release',
        fields: [
          ['records', released.join(', ') || '-'],
          ['not releasable', unavailable.join(', ') || '-'],
          ['emergency until', data.expiresAt],
          ['tx', data.txHash],
        ],
        warnings: unavailable.length
          ? [
              `record(s) ${unavailable.join(', ')} are not encrypted to the emergency key (added before their type was emergency-visible): the patient can open them to it with \`emr emergency types … --apply-existing\``,
            ]
          : [],
      },
    };
  },
});
