/**
 * `emr emergency types <types|none>` (docs/SHARING.md § 4.2): the patient chooses which record
 * types are emergency-visible — those are also encrypted to the consortium's emergency key,
 * and open to a verified provider during break-glass access. Default: none.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const emergencyTypes = defineCommand({
  name: 'types',
  summary: 'choose which of your record types are visible in an emergency (default none)',
  args: ['<types>'],
  examples: ['emr emergency types allergy,immunization,lab', 'emr emergency types none'],
  async run(ctx, [list]: [string]) {
    const { RECORD_TYPES, typesToMask, maskToTypes } = await import('../../record-types.js');
    const names = list
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    let mask = 0;
    if (!(names.length === 1 && names[0] === 'none')) {
      try {
        mask = typesToMask(names);
      } catch (e) {
        throw new UsageError((e as Error).message, { hint: `types: ${RECORD_TYPES.join(', ')}, or none` });
      }
    }
    const [{ openChainSession }, { setEmergencyTypes }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../chain/set-emergency-types.js'),
    ]);
    const tx = await setEmergencyTypes((await openChainSession(ctx, { signer: true })).chain, { mask });
    const types = maskToTypes(mask);
    return {
      data: { types, txHash: tx.txHash },
      view: {
        title: types.length ? `Emergency-visible: ${types.join(', ')}` : 'No record type is emergency-visible',
        fields: [['tx', tx.txHash]],
        lines: types.length
          ? ['New records of these types are also encrypted to the consortium emergency key (see docs/SHARING.md § 4).']
          : [],
      },
    };
  },
});
