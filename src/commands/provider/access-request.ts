/**
 * `emr access request <patient> [--types a,b] [--reason <text>]` (docs/CLI.md § Sharing): a
 * provider asks a patient for read access; the patient sees it in `emr access list`
 * and decides with `access approve` / `access deny`. Default types: all of them (the
 * patient sees exactly what is asked before approving).
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const accessRequest = defineCommand({
  name: 'request',
  summary: 'ask a patient for read access to record types (provider)',
  args: ['<patient>'],
  options: [
    { flags: '--types <a,b>', description: 'record types to read, comma-separated (default: all; see `emr record types`)' },
    { flags: '--reason <text>', description: 'why, shown to the patient (at most 1024 bytes)' },
  ],
  examples: ['emr access request alice --types lab,imaging --reason "follow-up on CBC"'],
  async run(ctx, [who]: [string], opts: { types?: string; reason?: string }) {
    const { typesToMask, ALL_TYPES_MASK } = await import('../../record-types.js');
    let mask = ALL_TYPES_MASK;
    if (opts.types !== undefined) {
      const names = opts.types
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (names.length === 0) throw new UsageError('--types is empty', { hint: 'e.g. --types lab,imaging (see `emr record types`)' });
      try {
        mask = typesToMask(names);
      } catch (e) {
        throw new UsageError((e as Error).message, { hint: 'see `emr record types`', cause: e });
      }
    }
    const reason = opts.reason ?? '';
    if (Buffer.byteLength(reason, 'utf8') > 1024) throw new UsageError('--reason is longer than 1024 bytes', { hint: 'shorten it' });
    const [{ openChainSession }, { requestAccessFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/request-access.js'),
    ]);
    const data = await requestAccessFlow(await openChainSession(ctx, { signer: true }), { who, readMask: mask, reason });
    return {
      data,
      view: {
        title: `Request ${data.requestId} sent to ${ctx.label(data.patient, 'withAddress')}`,
        fields: [
          ['types', data.types.join(',')],
          ['reason', reason || '-'],
          ['tx', data.txHash],
        ],
        lines: ['The patient decides with `emr access approve|deny ' + data.requestId + '`; follow it with `emr access list --mine`.'],
      },
    };
  },
});
