/**
 * `emr emergency types <types|none> [--apply-existing]` (docs/SHARING.md § 4.2): the patient
 * chooses which record types are emergency-visible — records of those types added from now
 * on are also encrypted to the consortium's emergency key, and open to a verified provider
 * during break-glass access. Not retroactive: existing records are re-keyed for the
 * emergency key only when asked (--apply-existing, or yes at the terminal). Default: none.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const emergencyTypes = defineCommand({
  name: 'types',
  summary: 'choose which of your record types are visible in an emergency (default none; new records only unless --apply-existing)',
  args: ['<types>'],
  options: [
    {
      flags: '--apply-existing',
      description: 're-key your existing records of these types for the emergency key too (asked at a terminal)',
    },
    { flags: '--no-apply-existing', description: 'do not re-key existing records, and do not ask' },
  ],
  examples: ['emr emergency types allergy,immunization,lab --apply-existing', 'emr emergency types none'],
  async run(ctx, [list]: [string], opts: { applyExisting?: boolean }) {
    const { RECORD_TYPES, typesToMask } = await import('../../record-types.js');
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
    const [{ openChainSession }, { openSession }, { emergencyTypesFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../session/index.js'),
      import('../../records/emergency-types.js'),
    ]);
    const s = await openChainSession(ctx, { signer: true });
    const openStore = async () => openSession(ctx, { store: true });
    const data = await emergencyTypesFlow(s, mask, opts.applyExisting, openStore);
    const x = data.existing;
    const left = x.uncovered.length - (x.applied ? x.rekeyed.length : 0);
    return {
      data,
      view: {
        title: data.types.length ? `Emergency-visible: ${data.types.join(', ')}` : 'No record type is emergency-visible',
        fields: [
          ['tx', data.txHash],
          ...(x.applied ? [['re-keyed for the emergency key', x.rekeyed.map((r) => r.id).join(', ') || 'none'] as [string, string]] : []),
        ],
        lines: data.types.length ? [`Rule: ${data.rule}.`] : [],
        warnings: [
          ...(left > 0 ? [`${left} existing record(s) of these types stay closed to break-glass${x.blocked ? `: ${x.blocked}` : ''}`] : []),
          ...x.skipped.map((k) => `record ${k.id} not re-keyed: ${k.reason}`),
          ...x.warnings,
        ],
      },
    };
  },
});
