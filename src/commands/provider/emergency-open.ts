/**
 * `emr emergency open <patient> --reason <text>` (docs/CLI.md § Sharing): break-glass read
 * access for a verified provider, for the contract's fixed window (24 h), to the types the
 * patient made emergency-visible. Always logged on chain with the reason, and shown in
 * the patient's `emr audit`: the human view says so before anything else.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const emergencyOpen = defineCommand({
  name: 'open',
  summary: 'break-glass: open time-boxed emergency read access (verified provider; always audited)',
  args: ['<patient>'],
  options: [{ flags: '--reason <text>', description: 'why (required; public in the audit trail, at most 1024 bytes)' }],
  examples: ['emr emergency open alice --reason "unconscious in ER, allergy check"'],
  async run(ctx, [who]: [string], opts: { reason?: string }) {
    const reason = opts.reason?.trim() ?? '';
    if (!reason)
      throw new UsageError('missing --reason <text>', { hint: 'an emergency access always states why; the patient will see it' });
    if (Buffer.byteLength(reason, 'utf8') > 1024) throw new UsageError('--reason is longer than 1024 bytes', { hint: 'shorten it' });
    const [{ openChainSession }, { openEmergencyFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/open-emergency.js'),
    ]);
    const data = await openEmergencyFlow(await openChainSession(ctx, { signer: true }), { who, reason });
    const warnings = ['this emergency access is logged on chain with your reason and is visible to the patient in `emr audit`'];
    if (data.types.length === 0) warnings.push('the patient has made no record types emergency-visible: this opens nothing to read');
    return {
      data,
      view: {
        title: `Emergency access to ${ctx.label(data.patient, 'withAddress')} open until ${data.expiresAt}`,
        fields: [
          ['types', data.types.length ? data.types.join(',') : '(none)'],
          ['reason', reason],
          ['tx', data.txHash],
        ],
        warnings,
      },
    };
  },
});
