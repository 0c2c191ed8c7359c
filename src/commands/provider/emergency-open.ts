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
    if (!reason) throw new UsageError('missing --reason <text>', { hint: 'an emergency access always states why; the patient will see it' });
    if (Buffer.byteLength(reason, 'utf8') > 1024) throw new UsageError('--reason is longer than 1024 bytes', { hint: 'shorten it' });
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { whois } = await import('../../chain/whois.js');
    const { openEmergency } = await import('../../chain/open-emergency.js');
    const { maskToTypes } = await import('../../record-types.js');
    const patient = await resolveAddress(ctx, who);
    const chain = await chainFor(ctx, { signer: true });
    // Unverified, suspended or unregistered providers: the contract says which (exit 3).
    const sent = await openEmergency(chain, { patient, reason });
    const types = maskToTypes((await whois(chain, patient)).emergencyTypes);
    const expiresAt = new Date(sent.expiresAt * 1000).toISOString();
    const name = ctx.profiles.byAddress(patient)?.name;
    const warnings = ['this emergency access is logged on chain with your reason and is visible to the patient in `emr audit`'];
    if (types.length === 0) warnings.push('the patient has made no record types emergency-visible: this opens nothing to read');
    return {
      data: { patient, expiresAt, types, reason, txHash: sent.txHash },
      view: {
        title: `Emergency access to ${name ? `${patient} (${name})` : patient} open until ${expiresAt}`,
        fields: [['types', types.length ? types.join(',') : '(none)'], ['reason', reason], ['tx', sent.txHash]],
        warnings,
      },
    };
  },
});
