/**
 * `emr report disclosures [--patient <who>] --since <date> --until <date> [--format
 * text|json|csv|fhir]` (docs/CLI.md § Sharing, `emr report disclosures`; docs/SHARING.md § 7):
 * an accounting of disclosures (records/disclosures.ts).
 */
import { parseDateArg } from '../../date-arg.js';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

const DISCLOSURE_EVENTS = ['record-accessed', 'granted', 'records-granted', 'emergency-opened', 'emergency-keys-released'];

export const reportDisclosures = defineCommand({
  name: 'disclosures',
  summary: 'an accounting of disclosures: who read or was given access to which records, when, on what authority',
  options: [
    { flags: '--patient <who>', description: 'whose records (default: yours when you are a patient)' },
    { flags: '--since <date>', description: 'start of the period (YYYY-MM-DD or ISO 8601; required)' },
    { flags: '--until <date>', description: 'end of the period (a date alone: the whole day, UTC; required)' },
    {
      flags: '--format <format>',
      description: 'text (default), json, csv, or fhir (the source events as AuditEvents)',
      choices: ['text', 'json', 'csv', 'fhir'],
    },
  ],
  examples: [
    'emr report disclosures --since 2026-01-01 --until 2026-06-30',
    'emr report disclosures --patient alice --since 2026-01-01 --until 2026-12-31 --format csv',
  ],
  async run(ctx, _args, opts: { patient?: string; since?: string; until?: string; format?: string }) {
    if (opts.since === undefined || opts.until === undefined)
      throw new UsageError('the period is required: --since <date> --until <date>', { hint: 'e.g. --since 2026-01-01 --until 2026-06-30' });
    const since = parseDateArg(opts.since, '--since', false);
    const until = parseDateArg(opts.until, '--until', true);
    if (since > until) throw new UsageError('--since is after --until', { hint: 'swap them' });
    const [{ openChainSession }, flow, view, audit] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/disclosures.js'),
      import('../../records/disclosures-view.js'),
      import('../../records/audit.js'),
    ]);
    const s = await openChainSession(ctx, { chain: true });
    const report = await flow.disclosureReport(s, { patient: opts.patient, since, until });
    if (opts.format === 'fhir') {
      const filter = { since: { time: since }, until: { time: until }, events: DISCLOSURE_EVENTS };
      const bundle = await audit.auditTrailFhir(s, { patient: report.patient, filter });
      return { data: bundle, view: { lines: audit.terminalJson(bundle) } };
    }
    if (opts.format === 'csv') {
      const lines = view.disclosureCsv(report);
      return { data: { ...report, csv: `${lines.join('\n')}\n` }, view: { lines } };
    }
    if (opts.format === 'json') return { data: report, view: { lines: audit.terminalJson(report) } };
    return { data: report, view: view.disclosureView(report) };
  },
});
