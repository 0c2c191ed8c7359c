/**
 * `emr audit`, the whole use case (docs/CLI.md § Sharing; docs/DEVNET.md § 6): whose
 * trail to show, the rows of the chain's audit events, and `--follow` streaming them as
 * they are mined until SIGINT/SIGTERM.
 *
 * Whose trail by default: a patient's own; an admin (or a home with no profile) sees
 * everything; a provider sees the events it took part in. Chain logs are public, so this
 * is a filter, not access control.
 */

import { type AuditEvent, auditEvents, watchAudit } from '../chain/audit.js';
import type { RecordStore } from '../ipfs/store.js';
import { safeText, toJson } from '../output.js';
import { eventTypeNames, namesOfFields, type TypeSlots } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { untilSignal } from '../session/signal.js';
import type { Unlocked } from '../session/unlock.js';
import { execDelivery } from './audit-exec.js';
import { auditFhirBundle } from './audit-fhir.js';
import { type AuditFilter, fromBlockOf, limitRows, rowMatches } from './audit-filter.js';
import { describeAuditEvent } from './audit-text.js';
import { cachedRecordOrgs, type OrgLabel, orgLabels, orgText } from './org-labels.js';
import { isSealed, openSealedRequest } from './sealed-request.js';
import { slotsFor } from './type-keys.js';

export interface AuditRow {
  block: number;
  time: string;
  txHash: string;
  /** The contract event in kebab case: `registered`, `granted`, `emergency-opened`, … */
  event: string;
  actor: string;
  actorName: string | null;
  /** The contact book's local name of the actor (docs/SHARING.md § 8.5), when not a local profile. */
  actorContactName?: string | null;
  patient: string | null;
  /** The other party the action is about (the grantee, the verified provider, the new admin). */
  subject: string | null;
  recordId: string | null;
  description: string;
  details: Record<string, unknown>;
  /**
   * The organisation the row is about, where known (SHARING.md § 9.7): an org event's own;
   * a record's, signed inside it, when this profile's details cache holds its metadata.
   */
  org?: OrgLabel;
}

export interface AuditInput {
  /** A patient's trail (a profile name or an address, resolved here). */
  patient?: string;
  all?: boolean;
  /** Start at this block. */
  since?: number;
  /** `--since/--until/--event/--actor/--record/--limit` (audit-filter.ts). */
  filter?: AuditFilter;
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
const RECORD_ID: Readonly<Record<string, string>> = {
  RecordAdded: 'id',
  RecordRekeyed: 'id',
  RecordAccessed: 'recordId',
  RecordVoided: 'id',
  PrescriptionDispensed: 'id',
  RecordErased: 'id',
};

/** What a read receipt proves, said wherever receipts are shown (SHARING.md § 5). */
export const RECEIPT_NOTE =
  'note: a read receipt proves only that its reader could read that record when it was logged; receipts are voluntary (`fetch --no-receipt`), so no receipt does not mean no read, and keys delivered earlier open copies fetched without one.';

const kebab = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** Turns a chain audit event into the promised row; the one-line text is the lead's (records/audit-text.ts), shared with `emr demo`. */
export function auditRow(
  e: AuditEvent,
  name: (a: string) => string,
  describe: (e: AuditEvent, name: (a: string) => string) => string,
): AuditRow {
  const f = e.fields;
  // Slots as names where the reader holds the patient's key (CONTRACT.md § Privacy).
  const names = eventTypeNames(e);
  const iso = (s: unknown) => new Date(Number(s) * 1000).toISOString();
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (k === 'readMask' || k === 'writeMask' || k === 'mask')
      details[k === 'mask' ? 'types' : k.replace(/Mask$/, 'Types')] = names[k] ?? [];
    else if (k === 'expiry' || k === 'expiresAt') details[k] = iso(v);
    else if (k === 'role') details[k] = Number(v) === 1 ? 'patient' : Number(v) === 2 ? 'provider' : String(v);
    else if (k === 'recordType') details.type = names.recordType;
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

/** One line of the human trail; an organisation's chain name is escaped here too (`--follow` narrates the line). */
export const auditLine = (r: AuditRow): string =>
  `${r.time.replace('.000Z', 'Z')}  block ${r.block}  ${r.description}${r.org ? `  [${safeText(orgText(r.org))}]` : ''}`;

/** SHARING.md § 9.7: each row's organisation where known (an org event's own; a record's from the details cache). */
async function attachOrgs(s: TrailSession, rows: AuditRow[]): Promise<void> {
  const patients = rows.filter((r) => r.recordId && r.patient).map((r) => r.patient!);
  const recordOrg = s.me && patients.length ? await cachedRecordOrgs({ home: s.home, chain: s.chain, me: s.me }, patients) : new Map();
  const orgOf = (r: AuditRow): string | undefined =>
    r.event.startsWith('org-') ? String(r.details.org) : r.recordId ? recordOrg.get(r.recordId) : undefined;
  const labels = await orgLabels(s.chain, rows.map(orgOf));
  for (const r of rows) {
    const label = labels.get(orgOf(r) ?? '');
    if (label) r.org = label;
  }
}

interface Trail {
  patient?: string;
  /** A provider's own view: events it acted in or was the subject of (lower-case address). */
  participant?: string;
  scope: string;
  keep(r: AuditRow): boolean;
  toRow(e: AuditEvent): AuditRow;
  /** The patient's prescription slot where the reader holds the key (receipts check, CONTRACT.md § Privacy). */
  prescriptionSlot(patient: string): number | undefined;
  /** The event with its slot fields named, where the reader holds the key. */
  named(e: AuditEvent): AuditEvent;
  /** Opens the sealed access requests among `events` that are the reader's own (before `named`). */
  prepare(events: readonly AuditEvent[]): Promise<void>;
}

/** A trail reader: the chain, and the unlocked profile when the command could unlock it. */
export type TrailSession = With<'chain'> & { me?: Unlocked | undefined; store?: RecordStore | undefined };

async function trailOf(s: TrailSession, input: AuditInput): Promise<Trail> {
  const { ctx } = s;
  // The acting patient's own slots → names (CONTRACT.md § Privacy); other patients' stay unknown.
  const own: { address: string; slots: TypeSlots } | undefined = s.me
    ? { address: s.me.profile.address.toLowerCase(), slots: await slotsFor(s, s.me.profile.address) }
    : undefined;
  const slotsOf = (p: string | null) => (own && p && p.toLowerCase() === own.address ? own.slots : undefined);
  // Sealed requests (CONTRACT.md § Privacy): their types and reason, opened with the
  // patient's identity; anyone else sees them sealed.
  const opened = new Map<string, { types: string[]; reason: string }>();
  const keyOf = (e: AuditEvent) => `${e.txHash}:${e.logIndex}`;
  const prepare = async (events: readonly AuditEvent[]) => {
    for (const e of events) {
      const reason = String(e.fields.reason ?? '');
      if (e.kind !== 'AccessRequested' || !isSealed(reason) || !s.me || !slotsOf(e.patient) || opened.has(keyOf(e))) continue;
      const o = await openSealedRequest(reason, s.me.age.identity);
      if (o) opened.set(keyOf(e), o);
    }
  };
  const named = (e: AuditEvent): AuditEvent => {
    const sl = slotsOf(e.patient);
    const out: AuditEvent = sl ? { ...e, typeNames: namesOfFields(e.fields, sl) } : e;
    if (e.kind === 'AccessRequested' && isSealed(String(e.fields.reason ?? ''))) {
      const o = opened.get(keyOf(e));
      return {
        ...out,
        fields: { ...e.fields, reason: o?.reason ?? '(sealed to the patient)' },
        typeNames: { ...out.typeNames, readMask: o?.types ?? ['sealed'] },
      };
    }
    return out;
  };
  let patient: string | undefined;
  let participant: string | undefined;
  let scope = 'every event';
  if (input.patient) {
    patient = await resolveAddress(ctx, input.patient);
    scope = `patient ${patient}`;
  } else if (!input.all && ctx.profiles.list().length > 0) {
    const me = ctx.profile();
    if (me.role === 'patient') {
      patient = me.address;
      scope = `your trail (${me.name})`;
    } else if (me.role === 'provider') {
      participant = me.address.toLowerCase();
      scope = `events you took part in (${me.name})`;
    }
  }
  // Local profile names by lower-case address, read once per run.
  const byAddr = new Map(ctx.profiles.list().map((p) => [p.address.toLowerCase(), p.name]));
  const profile = (a: string) => byAddr.get(a.toLowerCase()) ?? null;
  // A local profile's name, else the contact's local name (SHARING.md § 8.5), else the address shortened.
  const name = (a: string) => profile(a) ?? ctx.label(a, 'contact') ?? `${a.slice(0, 8)}…${a.slice(-4)}`;
  const filter = input.filter;
  const actor = filter?.actor ? await resolveAddress(ctx, filter.actor) : undefined;
  return {
    patient,
    participant,
    scope,
    named,
    prepare,
    prescriptionSlot: (p) => {
      const sl = slotsOf(p);
      return sl ? sl.slotOf('prescription') : undefined;
    },
    keep: (r) =>
      (!participant || r.actor.toLowerCase() === participant || r.subject?.toLowerCase() === participant) &&
      (!filter || rowMatches(r, filter, actor)),
    toRow: (e) => {
      const row = auditRow(named(e), name, describeAuditEvent);
      row.actorName = profile(row.actor);
      row.actorContactName = row.actorName ? null : ctx.label(row.actor, 'contact');
      return row;
    },
  };
}

const fromBlock = (input: AuditInput): number | undefined => input.since ?? (input.filter ? fromBlockOf(input.filter) : undefined);

/** The trail so far: `{events, scope}`; `receiptNote` when a read receipt is among them. */
export async function auditTrail(s: TrailSession, input: AuditInput): Promise<{ events: AuditRow[]; scope: string; receiptNote: boolean }> {
  const t = await trailOf(s, input);
  const all = await auditEvents(s.chain, { patient: t.patient, fromBlock: fromBlock(input), prescriptionSlot: t.prescriptionSlot });
  await t.prepare(all);
  const events = limitRows(all.map(t.toRow).filter(t.keep), input.filter?.limit);
  await attachOrgs(s, events);
  return { events, scope: t.scope, receiptNote: events.some((r) => r.event === 'record-accessed') };
}

export { terminalJson } from './audit-fhir.js';

/** `--format fhir` (docs/FHIR.md § 10): the same scope and filters, as one validated AuditEvent Bundle. */
export async function auditTrailFhir(s: TrailSession, input: AuditInput): Promise<Record<string, unknown>> {
  const t = await trailOf(s, input);
  const select = (all: AuditEvent[]) =>
    limitRows(
      all.filter((e) => t.keep(t.toRow(e))),
      input.filter?.limit,
    );
  const query = { patient: t.patient, fromBlock: fromBlock(input), prescriptionSlot: t.prescriptionSlot };
  return auditFhirBundle(s.chain, query, select, s.now(), t.named, t.prepare);
}

/**
 * `--follow`: start right after the current head (or at --since), say so on stderr once
 * listening (a script then knows later actions will be seen), and print each event as it
 * is mined — one line, or with --json one NDJSON document `{"ok":true,"data":{"event":…}}` —
 * until SIGINT/SIGTERM. The command's result is the last document.
 */
export async function followAudit(
  s: TrailSession,
  input: AuditInput & { exec?: string },
): Promise<{ stopped: true; signal: string; count: number; lastBlock: number; exec?: { delivered: number; failed: number } }> {
  const { ctx } = s;
  const t = await trailOf(s, input);
  const head = await s.chain.provider.getBlockNumber();
  // --exec (audit-exec.ts): resume after the cursor of the last run with this command and scope.
  const exec = input.exec
    ? execDelivery({
        home: ctx.home,
        key: `${s.chain.address}\n${t.scope}`,
        command: input.exec,
        warn: (l) => ctx.io.stderr.write(`warning: ${l}\n`),
      })
    : undefined;
  const start = exec?.resume?.block ?? fromBlock(input) ?? head + 1;
  let inBlock = { block: -1, index: 0 };
  let count = 0;
  let lastBlock = start - 1;
  let failing = false;
  const stopped = untilSignal(ctx);
  const watch = watchAudit(s.chain, {
    patient: t.patient,
    prescriptionSlot: t.prescriptionSlot,
    fromBlock: start,
    pollMs: 500,
    onEvent: async (e) => {
      failing = false;
      await t.prepare([e]);
      const r = t.toRow(e);
      lastBlock = r.block;
      inBlock = inBlock.block === r.block ? { block: r.block, index: inBlock.index + 1 } : { block: r.block, index: 0 };
      if (exec?.resume && r.block === exec.resume.block && inBlock.index < exec.resume.done) return; // delivered by the last run
      if (!t.keep(r)) return;
      count++;
      exec?.push(r, inBlock.index);
      if (ctx.json) ctx.io.stdout.write(toJson({ ok: true, data: { event: r } }) + '\n');
      else ctx.narrate(auditLine(r));
    },
    onError: (err) => {
      // Keep polling through an outage; tell the person once per outage, on stderr.
      if (!failing) ctx.io.stderr.write(`warning: audit poll failed (${(err as Error).message ?? err}); retrying\n`);
      failing = true;
    },
  });
  ctx.io.stderr.write(`following ${t.scope} from block ${start}; Ctrl-C to stop\n`);
  const signal = await stopped;
  await watch.stop();
  const delivered = await exec?.stop();
  return { stopped: true, signal, count, lastBlock, ...(delivered ? { exec: delivered } : {}) };
}
