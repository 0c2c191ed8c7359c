/**
 * `emr audit [--patient <who>] [--all] [--since <block>] [--follow]` (docs/CLI.md § Sharing):
 * the on-chain trail — every registration, record, re-key, grant, revoke, request,
 * decision, emergency, read receipt, verification, suspension and admin change — with
 * time, actor and a one-line description naming local profiles.
 *
 * Whose trail by default: a patient's own; an admin (or a home with no profile) sees
 * everything; a provider sees the events it took part in. Chain logs are public, so this
 * is a filter, not access control.
 *
 * `--follow` streams events as they are mined until SIGINT/SIGTERM (exit 0): one line per
 * event on stdout; with `--json`, one JSON document per line (NDJSON,
 * `{"ok":true,"data":{"event":{…}}}`) and a last line `{"ok":true,"data":{"stopped":true,…}}`
 * — the one exception to "stdout carries one document" (docs/DEVNET.md § Audit).
 */

import type { AuditEvent } from '../../chain/audit.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export interface AuditRow {
  block: number;
  time: string;
  txHash: string;
  /** The contract event in kebab case: `registered`, `granted`, `emergency-opened`, … */
  event: string;
  actor: string;
  actorName: string | null;
  patient: string | null;
  /** The other party the action is about (the grantee, the verified provider, the new admin). */
  subject: string | null;
  recordId: string | null;
  description: string;
  details: Record<string, unknown>;
}

const SUBJECT: Readonly<Record<string, string>> = {
  Granted: 'provider',
  RecordsGranted: 'provider',
  Revoked: 'provider',
  RequestApproved: 'provider',
  RequestDenied: 'provider',
  ProviderVerified: 'provider',
  ProviderSuspended: 'provider',
  EmergencyKeysReleased: 'provider',
  AdminAdded: 'admin',
  AdminRemoved: 'admin',
};
const RECORD_ID: Readonly<Record<string, string>> = { RecordAdded: 'id', RecordRekeyed: 'id', RecordAccessed: 'recordId' };

const RECEIPT_NOTE =
  'note: a read receipt proves only that its reader could read that record when it was logged; receipts are voluntary (`fetch --no-receipt`), so no receipt does not mean no read, and keys delivered earlier open copies fetched without one.';

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** Turns a chain audit event into the promised row; the one-line text is the lead's (records/audit-text.ts), shared with `emr demo`. */
export function auditRow(
  e: AuditEvent,
  name: (a: string) => string,
  types: (mask: number) => string[],
  typeName: (i: number) => string,
  describe: (e: AuditEvent, name: (a: string) => string) => string,
): AuditRow {
  const f = e.fields;
  const iso = (s: unknown) => new Date(Number(s) * 1000).toISOString();
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (k === 'readMask' || k === 'writeMask' || k === 'mask') details[k === 'mask' ? 'types' : k.replace(/Mask$/, 'Types')] = types(Number(v));
    else if (k === 'expiry' || k === 'expiresAt') details[k] = iso(v);
    else if (k === 'role') details[k] = Number(v) === 1 ? 'patient' : Number(v) === 2 ? 'provider' : String(v);
    else if (k === 'recordType') details.type = typeName(Number(v));
    else details[k] = v;
  }
  const subject = SUBJECT[e.kind] ? String(f[SUBJECT[e.kind]!]) : null;
  const recordId = RECORD_ID[e.kind] ? String(f[RECORD_ID[e.kind]!]) : null;
  return {
    block: e.blockNumber,
    time: new Date(e.time * 1000).toISOString(),
    txHash: e.txHash,
    event: kebab(e.kind),
    actor: e.actor,
    actorName: null,
    patient: e.patient,
    subject,
    recordId,
    description: describe(e, name),
    details: e.flag ? { ...details, forged: e.flag } : details,
  };
}

/** Local profile names by lower-case address, read once per run. */
function namer(ctx: Context): { name: (a: string) => string; profile: (a: string) => string | null } {
  const byAddr = new Map(ctx.profiles.list().map((p) => [p.address.toLowerCase(), p.name]));
  const profile = (a: string) => byAddr.get(a.toLowerCase()) ?? null;
  return { profile, name: (a) => profile(a) ?? `${a.slice(0, 8)}…${a.slice(-4)}` };
}

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
    let since: number | undefined;
    if (opts.since !== undefined) {
      if (!/^\d+$/.test(opts.since)) throw new UsageError(`not a block number: ${opts.since}`, { hint: '--since takes a block number, e.g. --since 120' });
      since = Number(opts.since);
    }
    if (opts.all && opts.patient) throw new UsageError('--all and --patient exclude each other', { hint: 'pick one' });
    if (opts.format && opts.follow) throw new UsageError('--format and --follow exclude each other', { hint: 'export the trail with --format fhir, or follow it without' });
    const { resolveAddress } = await import('../../session/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { auditEvents, watchAudit } = await import('../../chain/audit.js');
    const { maskToTypes, typeName } = await import('../../record-types.js');
    const { toJson } = await import('../../output.js');
    const { describeAuditEvent } = await import('../../records/audit-text.js');
    let patient: string | undefined;
    let participant: string | undefined;
    let scope = 'every event';
    if (opts.patient) {
      patient = await resolveAddress(ctx, opts.patient);
      scope = `patient ${patient}`;
    } else if (!opts.all && ctx.profiles.list().length > 0) {
      const me = ctx.profile();
      if (me.role === 'patient') {
        patient = me.address;
        scope = `your trail (${me.name})`;
      } else if (me.role === 'provider') {
        participant = me.address.toLowerCase();
        scope = `events you took part in (${me.name})`;
      }
    }
    const chain = await chainFor(ctx);
    const names = namer(ctx);
    const keep = (r: AuditRow) => !participant || r.actor.toLowerCase() === participant || r.subject?.toLowerCase() === participant;
    const toRow = (e: AuditEvent) => {
      const row = auditRow(e, names.name, maskToTypes, typeName, describeAuditEvent);
      row.actorName = names.profile(row.actor);
      return row;
    };
    if (opts.format === 'fhir') {
      const { auditFhirBundle, terminalJson } = await import('../../records/audit-fhir.js');
      const bundle = await auditFhirBundle(chain, { patient, fromBlock: since }, (e) => keep(toRow(e)), ctx.clock.now());
      return { data: bundle, view: { lines: terminalJson(bundle) } };
    }
    const line = (r: AuditRow) => `${r.time.replace('.000Z', 'Z')}  block ${r.block}  ${r.description}`;

    if (!opts.follow) {
      const events = (await auditEvents(chain, { patient, fromBlock: since })).map(toRow).filter(keep);
      // What a read receipt proves, said wherever receipts are shown (SHARING.md § 5).
      const note = events.some((r) => r.event === 'record-accessed') ? ['', RECEIPT_NOTE] : [];
      return {
        data: { events },
        view: { title: `Audit: ${scope}`, lines: events.length ? [...events.map(line), ...note] : ['(no events)'] },
      };
    }

    // Follow: start right after the current head (or at --since), and say so on stderr
    // once we are listening, so a script knows when later actions will be seen.
    const head = await chain.provider.getBlockNumber();
    const fromBlock = since ?? head + 1;
    let count = 0;
    let lastBlock = fromBlock - 1;
    let failing = false;
    const emit = (e: AuditEvent) => {
      const r = toRow(e);
      lastBlock = r.block;
      if (!keep(r)) return;
      count++;
      if (ctx.json) ctx.io.stdout.write(toJson({ ok: true, data: { event: r } }) + '\n');
      else ctx.narrate(line(r));
    };
    const stopped = new Promise<string>((resolve) => {
      const on = (sig: string) => () => resolve(sig);
      const int = on('SIGINT');
      const term = on('SIGTERM');
      process.once('SIGINT', int);
      process.once('SIGTERM', term);
      ctx.onClose(() => {
        process.off('SIGINT', int);
        process.off('SIGTERM', term);
      });
    });
    const watch = watchAudit(chain, {
      patient,
      fromBlock,
      pollMs: 500,
      onEvent: (e) => {
        failing = false;
        emit(e);
      },
      onError: (err) => {
        // Keep polling through an outage; tell the person once per outage, on stderr.
        if (!failing) ctx.io.stderr.write(`warning: audit poll failed (${(err as Error).message ?? err}); retrying\n`);
        failing = true;
      },
    });
    ctx.io.stderr.write(`following ${scope} from block ${fromBlock}; Ctrl-C to stop\n`);
    const signal = await stopped;
    await watch.stop();
    return { data: { stopped: true, signal, count, lastBlock }, view: {} };
  },
});
