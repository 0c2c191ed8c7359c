/**
 * `emr record void <id> --reason <text>` (docs/CLI.md § record void): the record's author or
 * patient marks it entered in error, on chain. `--supersedes` corrects a record of the same
 * type; a record filed under the wrong type or patient is undone by voiding it.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const recordVoid = defineCommand({
  name: 'void',
  summary: 'mark a record entered in error (its author or patient; on chain, final)',
  args: ['<id>'],
  options: [{ flags: '--reason <text>', description: 'why it is void (1..1024 bytes; public, on chain: no clinical detail)' }],
  examples: ['emr record void 42 --reason "filed under the wrong patient"'],
  async run(ctx, [idArg]: [string], opts: { reason?: string }) {
    if (!/^\d+$/.test(idArg) || BigInt(idArg) === 0n) throw new UsageError(`not a record id: ${idArg}`, { hint: 'see `emr record list`' });
    if (!opts.reason?.trim()) throw new UsageError('a reason is required', { hint: 'pass --reason <text>' });
    const [{ openSession }, { voidRecordFlow }, { printable }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/void-record.js'),
      import('../../records/clinical.js'),
    ]);
    // The store: an author names the record's type with the key its grant delivered
    // (docs/CONTRACT.md § Privacy).
    const s = await openSession(ctx, { signer: true, store: true });
    const data = await voidRecordFlow(s, BigInt(idArg), opts.reason);
    return {
      data,
      view: {
        title: `Voided record ${data.id} (${data.type}) of ${ctx.label(data.patient, 'withAddress')}: entered in error`,
        fields: [
          ['reason', printable(data.reason) ?? ''],
          ['tx', data.txHash],
        ],
        lines: ['Its bytes stay for the audit trail; `record list` hides it (shown with --all), `fetch` warns.'],
      },
    };
  },
});
