/**
 * `emr verify <recordId|file>` (docs/CLI.md § Records): the pharmacist's check — the author's
 * signature, and that the author was a verified provider (or the patient) when the record
 * was signed (records/verify-record.ts). Exit 4 when either fails. Writes no plaintext.
 */
import { existsSync } from 'node:fs';
import { IntegrityError, UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const verify = defineCommand({
  name: 'verify',
  summary: 'check who signed a record or bundle file, and that they were allowed to',
  args: ['<recordIdOrFile>'],
  options: [{ flags: '--at <time>', description: 'a loose file: judge the author at this ISO time you trust (default: now)' }],
  async run(ctx, [arg]: [string], opts: { at?: string }) {
    // A file of that name wins over a record id.
    const isFile = existsSync(arg);
    if (!isFile && !/^\d+$/.test(arg))
      throw new UsageError(`no record id or file '${arg}'`, { hint: 'give a record id from `emr record list` or a bundle file' });
    const at = opts.at === undefined ? undefined : new Date(opts.at);
    if (at && (!/^\d{4}-\d\d-\d\d/.test(opts.at!) || Number.isNaN(at.getTime())))
      throw new UsageError(`not an ISO time: ${opts.at}`, { hint: '--at takes e.g. 2026-01-31T09:00:00Z' });
    if (at && !isFile) throw new UsageError('--at is for a file', { hint: 'a record id is judged at its RecordAdded block' });
    const target = isFile
      ? { kind: 'file' as const, path: arg, given: arg, ...(at ? { at } : {}) }
      : { kind: 'record' as const, id: BigInt(arg), given: arg };
    const [{ openSession }, { verifyRecord }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/verify-record.js'),
    ]);
    const s = await openSession(ctx, { chain: true, unlock: true, store: !isFile });
    const data = await verifyRecord(s, target);
    if (!data.authorAuthorized) {
      return {
        data,
        failure: new IntegrityError(`signed by ${data.author}, who was not a verified provider ${when(data)} (${data.authority})`, {
          hint: 'do not rely on this record; ask the patient or the consortium',
        }),
        view: {
          fields: [
            ['signature', 'valid'],
            ['author', data.author],
            ['authority', data.authority],
            ['judged at', when(data)],
          ],
        },
      };
    }
    const d = data.dispensed;
    return {
      data,
      view: {
        title: `Verified: signed by ${ctx.label(data.author, 'withAddress')}`,
        warnings: data.voided
          ? [`record ${arg} was voided (entered in error) by ${ctx.label(data.voided.by, 'withAddress')}: ${data.voided.reason}`]
          : [],
        fields: [
          ['authority', data.authority === 'patient' ? 'the patient themself' : `a verified provider ${when(data)}`],
          ['patient', data.patient],
          ['type', data.type],
          ['title', data.title],
          ['signed at', data.signedAt],
          ['sha256', data.sha256],
          ...(d !== undefined
            ? [['dispensed', d ? `by ${ctx.label(d.by, 'withAddress')} at ${d.at}` : 'not yet'] as [string, string]]
            : []),
        ],
      },
    };
  },
});

/** Whose time judged the author (records/verify-record.ts AuthorityAt), in words. */
function when(d: { authorityAt: string; authorityTime: string | null; recordId: string | null }): string {
  if (d.authorityAt === 'record-added') return `when record ${d.recordId} was added (${d.authorityTime})`;
  if (d.authorityAt === 'given') return `at the given time ${d.authorityTime}`;
  return "now (a loose file: its date is the author's own word)";
}
