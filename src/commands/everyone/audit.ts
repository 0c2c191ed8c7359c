/**
 * `emr audit [--patient <who>] [--all] [--since <date|block>] [--until <date|block>]
 * [--event <kinds>] [--actor <who>] [--record <id>] [--limit <n>] [--follow]
 * [--format text|json|csv|fhir]` (docs/CLI.md § Sharing, `emr audit`): the on-chain trail — every
 * registration, record, re-key, grant, revoke, request, decision, emergency, read receipt,
 * verification, suspension and admin change — with time, actor and a one-line description
 * naming local profiles (records/audit.ts), narrowed by the filters (records/audit-filter.ts).
 *
 * `--follow` streams events as they are mined until SIGINT/SIGTERM (exit 0): one line per
 * event on stdout; with `--json`, one JSON document per line (NDJSON,
 * `{"ok":true,"data":{"event":{…}}}`) and a last line `{"ok":true,"data":{"stopped":true,…}}`
 * — the one exception to "stdout carries one document" (docs/DEVNET.md § 6).
 */
import { UsageError } from '../../errors.js';
import { auditFilter } from '../../records/audit-filter.js';
import { defineCommand } from '../spec.js';

export type { AuditRow } from '../../records/audit.js';

type Opts = { patient?: string; all?: boolean; since?: string; until?: string; event?: string; actor?: string; record?: string };

export const audit = defineCommand({
  name: 'audit',
  summary: 'the on-chain trail: who added, granted, revoked, requested, opened and read what, when',
  options: [
    { flags: '--patient <who>', description: 'one patient’s trail (default: yours when you are a patient)' },
    { flags: '--all', description: 'every event of the contract' },
    { flags: '--since <date|block>', description: 'from this block number or date (YYYY-MM-DD or ISO 8601)' },
    { flags: '--until <date|block>', description: 'up to this block number or date (a date alone: the whole day, UTC)' },
    { flags: '--event <kinds>', description: 'only these events, comma-separated (granted,record-accessed,…)' },
    { flags: '--actor <who>', description: 'only what this account did (a profile or an address)' },
    { flags: '--record <id>', description: 'only events naming this record' },
    { flags: '--limit <n>', description: 'only the most recent n events (after the other filters)' },
    { flags: '--follow', description: 'keep printing new events until Ctrl-C (with --json: one JSON document per line)' },
    { flags: '--exec <command>', description: 'with --follow: run this command once per new event, the event as JSON on stdin (no shell)' },
    {
      flags: '--format <format>',
      description: 'text (default), json, csv, or fhir (FHIR R4 AuditEvents)',
      choices: ['text', 'json', 'csv', 'fhir'],
    },
  ],
  examples: [
    'emr audit',
    'emr audit --since 2026-01-01 --event record-accessed --format csv',
    'emr audit --follow --exec ./notify.sh',
    'emr audit --format fhir --json',
  ],
  async run(ctx, _args, opts: Opts & { limit?: string; follow?: boolean; format?: string; exec?: string }) {
    const filter = auditFilter(opts);
    if (opts.all && opts.patient) throw new UsageError('--all and --patient exclude each other', { hint: 'pick one' });
    const format = opts.format ?? 'text';
    if (opts.follow && (format !== 'text' || filter.limit !== undefined || filter.until !== undefined))
      throw new UsageError('--follow prints events as they come: not with --format, --limit or --until', {
        hint: 'export the trail with --format, or follow it with --event/--actor/--record',
      });
    if (opts.exec !== undefined && !opts.follow)
      throw new UsageError('--exec runs a command per new event: it needs --follow', { hint: 'emr audit --follow --exec <command>' });
    const input = { patient: opts.patient, all: !!opts.all, filter, exec: opts.exec };
    const [{ openChainSession }, flow, { auditCsv }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/audit.js'),
      import('../../records/audit-csv.js'),
    ]);
    // Type names need the patient's key (docs/CONTRACT.md § Privacy): unlocked when answerable.
    const s = await openChainSession(ctx, { chain: true, unlock: 'ifAnswerable' });
    if (format === 'fhir') {
      const bundle = await flow.auditTrailFhir(s, input);
      return { data: bundle, view: { lines: flow.terminalJson(bundle) } };
    }
    if (opts.follow) return { data: await flow.followAudit(s, input), view: {} };
    const { events, scope, receiptNote } = await flow.auditTrail(s, input);
    if (format === 'csv') {
      const lines = auditCsv(events);
      return { data: { events, csv: `${lines.join('\n')}\n` }, view: { lines } };
    }
    if (format === 'json') return { data: { events }, view: { lines: flow.terminalJson({ events }) } };
    const lines = events.length ? [...events.map(flow.auditLine), ...(receiptNote ? ['', flow.RECEIPT_NOTE] : [])] : ['(no events)'];
    return { data: { events }, view: { title: `Audit: ${scope}`, lines } };
  },
});
