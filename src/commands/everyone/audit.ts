/**
 * `emr audit [--patient <who>] [--all] [--since <block>] [--follow]` (docs/CLI.md § Sharing):
 * the on-chain trail — every registration, record, re-key, grant, revoke, request,
 * decision, emergency, read receipt, verification, suspension and admin change — with
 * time, actor and a one-line description naming local profiles (records/audit.ts).
 *
 * `--follow` streams events as they are mined until SIGINT/SIGTERM (exit 0): one line per
 * event on stdout; with `--json`, one JSON document per line (NDJSON,
 * `{"ok":true,"data":{"event":{…}}}`) and a last line `{"ok":true,"data":{"stopped":true,…}}`
 * — the one exception to "stdout carries one document" (docs/DEVNET.md § 6).
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export type { AuditRow } from '../../records/audit.js';

export const audit = defineCommand({
  name: 'audit',
  summary: 'the on-chain trail: who added, granted, revoked, requested, opened and read what, when',
  options: [
    { flags: '--patient <who>', description: 'one patient’s trail (default: yours when you are a patient)' },
    { flags: '--all', description: 'every event of the contract' },
    { flags: '--since <block>', description: 'start at this block number' },
    { flags: '--follow', description: 'keep printing new events until Ctrl-C (with --json: one JSON document per line)' },
    { flags: '--format <format>', description: 'fhir: the trail as FHIR R4 AuditEvent resources (a collection Bundle)', choices: ['fhir'] },
  ],
  examples: ['emr audit', 'emr audit --patient alice --json', 'emr audit --all --follow', 'emr audit --format fhir --json'],
  async run(ctx, _args, opts: { patient?: string; all?: boolean; since?: string; follow?: boolean; format?: string }) {
    if (opts.since !== undefined && !/^\d+$/.test(opts.since))
      throw new UsageError(`not a block number: ${opts.since}`, { hint: '--since takes a block number, e.g. --since 120' });
    if (opts.all && opts.patient) throw new UsageError('--all and --patient exclude each other', { hint: 'pick one' });
    if (opts.format && opts.follow)
      throw new UsageError('--format and --follow exclude each other', {
        hint: 'export the trail with --format fhir, or follow it without',
      });
    const input = { patient: opts.patient, all: !!opts.all, since: opts.since === undefined ? undefined : Number(opts.since) };
    const [{ openChainSession }, flow] = await Promise.all([import('../../session/chain-session.js'), import('../../records/audit.js')]);
    const s = await openChainSession(ctx, { chain: true });
    if (opts.format === 'fhir') {
      const bundle = await flow.auditTrailFhir(s, input);
      return { data: bundle, view: { lines: flow.terminalJson(bundle) } };
    }
    if (opts.follow) return { data: await flow.followAudit(s, input), view: {} };
    const { events, scope, receiptNote } = await flow.auditTrail(s, input);
    return {
      data: { events },
      view: {
        title: `Audit: ${scope}`,
        lines: events.length ? [...events.map(flow.auditLine), ...(receiptNote ? ['', flow.RECEIPT_NOTE] : [])] : ['(no events)'],
      },
    };
  },
});
