/**
 * `emr prescription dispense <id>` (docs/CLI.md § prescription dispense): a verified provider
 * whom the patient granted `prescription` marks it dispensed, on chain, once; a second
 * dispense is exit 3 naming the first (who, when).
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const prescriptionDispense = defineCommand({
  name: 'dispense',
  summary: 'mark a prescription dispensed (verified provider granted prescription; once)',
  args: ['<id>'],
  examples: ['emr prescription dispense 42'],
  async run(ctx, [idArg]: [string]) {
    if (!/^\d+$/.test(idArg) || BigInt(idArg) === 0n) throw new UsageError(`not a record id: ${idArg}`, { hint: 'see `emr record list`' });
    const [{ openSession }, { dispenseFlow }] = await Promise.all([import('../../session/index.js'), import('../../records/dispense.js')]);
    // The store: the patient's type key arrives in a key delivery (CONTRACT.md § Privacy).
    const s = await openSession(ctx, { signer: true, store: true });
    const data = await dispenseFlow(s, BigInt(idArg));
    return {
      data,
      view: {
        title: `Dispensed prescription ${data.id} of ${ctx.label(data.patient, 'withAddress')}`,
        fields: [
          ['prescriber', ctx.label(data.prescriber, 'withAddress')],
          ['dispensed at', data.dispensedAt],
          ['tx', data.txHash],
        ],
      },
    };
  },
});
