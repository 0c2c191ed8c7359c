/**
 * What a button does (docs/UI.md § 2.3): each POST becomes a job that calls the same flow
 * as the CLI command named beside it, and answers with the transaction(s) that prove it.
 * Form fields are read bounded; an uploaded file is written to a private temporary
 * directory (0700) under a sanitised name, handed to the flow by path like a CLI argument,
 * and removed whatever happens.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setEmergencyTypes } from '../chain/set-emergency-types.js';
import { IntegrityError, UsageError } from '../errors.js';
import { maskToTypes, RECORD_TYPES, typesToMask } from '../record-types.js';
import { addInput, addRecordsFlow } from '../records/add-record.js';
import { approveRequestFlow } from '../records/approve-request.js';
import { denyRequestFlow } from '../records/deny-request.js';
import { parseExpiry } from '../records/expiry.js';
import { requestAccessFlow } from '../records/request-access.js';
import { revokeAccessFlow } from '../records/revoke-access.js';
import { grantAccessFlow, grantInput } from '../records/share.js';
import { slotsFor } from '../records/type-keys.js';
import { verifyRecord } from '../records/verify-record.js';
import type { UiSession } from './data.js';
import type { JobResult } from './jobs.js';
import { recordBody } from './views-records.js';

export type Progress = (line: string) => void;

/** A text field: trimmed, at most `max` characters, '' when absent. */
export function field(form: FormData, name: string, max = 200): string {
  const v = form.get(name);
  if (typeof v !== 'string') return '';
  if (v.length > max) throw new UsageError(`${name}: at most ${max} characters`, { hint: 'shorten it' });
  return v.trim();
}

/** Checked type boxes: known record types only. */
function typesField(form: FormData): string[] {
  const all = form.getAll('types').filter((v): v is string => typeof v === 'string');
  const bad = all.find((t) => !(RECORD_TYPES as readonly string[]).includes(t));
  if (bad !== undefined) throw new UsageError(`unknown record type ${bad.slice(0, 30)}`, { hint: RECORD_TYPES.join(', ') });
  return all.slice(0, RECORD_TYPES.length);
}

const EXPIRIES = new Set(['30d', '90d', '1y']);
function expiresField(form: FormData): string {
  const v = field(form, 'expires', 10) || '90d';
  if (!EXPIRIES.has(v)) throw new UsageError(`until: ${v}`, { hint: '30d, 90d or 1y' });
  return v;
}

/** The session with its progress lines going to the job's page instead of a terminal spinner. */
function withProgress(s: UiSession, p: Progress): UiSession {
  return { ...s, progress: (text) => (p(text), { update: p, succeed: (t) => t && p(t), fail: (t) => t && p(t), stop() {} }) };
}

export async function grantAction(s: UiSession, form: FormData, p: Progress): Promise<JobResult> {
  const provider = field(form, 'provider', 100);
  const types = typesField(form);
  const g = grantInput(
    provider,
    { types: types.join(','), expires: expiresField(form), write: form.get('write') === 'on', deadline: '1d' },
    s.now(),
  );
  p(`granting ${s.label(provider)} ${types.join(', ')} (keys of existing records are delivered to them)`);
  const res = await grantAccessFlow(s, g);
  return {
    summary: `Granted ${s.label(res.provider)}: ${types.join(', ')}${g.write ? ' (read and add)' : ''} until ${res.expiresAt}`,
    txHashes: res.txHashes,
    fields: [['keys delivered', String(res.keysDelivered)]],
    notes: res.skipped.map((k) => `record ${k.id} skipped (its key was not delivered): ${k.reason}`),
    next: { href: '/access', label: 'Back to who may read' },
  };
}

export async function revokeAction(s: UiSession, form: FormData, p: Progress): Promise<JobResult> {
  const provider = field(form, 'provider', 100);
  const rekey = form.get('rekey') === 'on';
  p(`revoking ${s.label(provider)}${rekey ? ', then re-keying the records they could read' : ''}`);
  const res = await revokeAccessFlow(s, provider, { rekey });
  return {
    summary: `Revoked ${s.label(res.provider)}${rekey ? `; re-keyed ${res.rekeyed.length} record(s)` : ''}`,
    txHashes: [res.txHash, ...res.rekeyed.map((r) => r.txHash)],
    fields: [
      ['already fetched (read receipts)', res.stillHeld.fetched.join(', ') || 'none on record'],
      ['could read until now', res.stillHeld.couldRead.join(', ') || 'none'],
    ],
    notes: [
      `Already fetched: ${res.stillHeld.note}.`,
      ...res.skipped.map((k) => `record ${k.id} not re-keyed: ${k.reason}`),
      ...res.warnings,
      ...(rekey
        ? []
        : ['Not re-keyed: the records they could read still open with the keys they hold. Revoke again with re-key to change that.']),
    ],
    next: { href: '/access', label: 'Back to who may read' },
  };
}

function requestId(text: string): string {
  if (!/^\d{1,20}$/.test(text)) throw new UsageError(`not a request id: ${text.slice(0, 24)}`, { hint: 'see Requests' });
  return text;
}

export async function approveAction(s: UiSession, id: string, form: FormData, p: Progress): Promise<JobResult> {
  p(`approving request ${id} (delivering the keys it covers)`);
  const res = await approveRequestFlow(s, { requestId: requestId(id), expiry: parseExpiry(expiresField(form), s.now()) });
  if (res.alreadyApproved) return { summary: `Request ${id} is already approved; nothing was sent`, txHashes: [] };
  return {
    summary: `Approved request ${id} from ${s.label(res.provider)}: ${res.types.join(', ')} until ${res.expiresAt}`,
    txHashes: [res.txHash],
    fields: [['keys delivered', String(res.keysDelivered)]],
    notes: res.skipped.map((k) => `record ${k.id} skipped (its key was not delivered): ${k.reason}`),
    next: { href: '/requests', label: 'Back to requests' },
  };
}

export async function denyAction(s: UiSession, id: string, p: Progress): Promise<JobResult> {
  p(`denying request ${id}`);
  const res = await denyRequestFlow(s, requestId(id));
  return {
    summary: `Denied request ${id} from ${s.label(res.provider)}`,
    txHashes: [res.txHash],
    next: { href: '/requests', label: 'Back to requests' },
  };
}

export async function emergencyAction(s: UiSession, form: FormData, p: Progress): Promise<JobResult> {
  const types = maskToTypes(typesToMask(typesField(form)));
  p('saving the emergency settings');
  // The patient's slots, padded (docs/CONTRACT.md § Privacy).
  const slots = await slotsFor(s, s.me.profile.address);
  const tx = await setEmergencyTypes(s.chain, { mask: slots.pad(slots.toMask(types)) });
  return {
    summary: types.length ? `Emergency-visible: ${types.join(', ')}` : 'No record type is emergency-visible',
    txHashes: [tx.txHash],
    next: { href: '/emergency', label: 'Back to emergency settings' },
  };
}

export async function readAction(s: UiSession, id: string, p: Progress): Promise<JobResult> {
  p(`fetching and verifying record ${id}, then posting the read receipt`);
  const { body, receiptTx } = await recordBody(s, id, true);
  return { summary: `Record ${id}`, txHashes: receiptTx ? [receiptTx] : [], body };
}

export async function requestAction(s: UiSession, form: FormData, p: Progress): Promise<JobResult> {
  const types = typesField(form);
  if (!types.length) throw new UsageError('no record type chosen', { hint: 'tick the types you ask to read' });
  const reason = field(form, 'reason', 500);
  p(`asking ${s.label(field(form, 'patient', 100))} for ${types.join(', ')}`);
  const res = await requestAccessFlow(s, { who: field(form, 'patient', 100), readMask: typesToMask(types), reason });
  return {
    summary: `Request ${res.requestId} sent to ${s.label(res.patient)}: ${res.types.join(', ')}`,
    txHashes: [res.txHash],
    next: { href: '/', label: 'Back to my patients' },
  };
}

/** The uploaded file, at `<private dir>/<safe name>` for the duration of `body`. */
async function withUpload<T>(form: FormData, body: (path: string, name: string) => Promise<T>): Promise<T> {
  const f = form.get('file');
  if (!f || typeof f === 'string' || f.size === 0) throw new UsageError('no file chosen', { hint: 'choose the file to upload' });
  const base = f.name.replace(/^.*[\\/]/, '');
  const name = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(base) ? base : 'upload' + (/\.(json|age|txt|pdf)$/i.exec(base)?.[0] ?? '');
  const dir = await mkdtemp(join(tmpdir(), 'emr-ui-'));
  try {
    const path = join(dir, name);
    await writeFile(path, new Uint8Array(await f.arrayBuffer()), { mode: 0o600 });
    return await body(path, name);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function addAction(s: UiSession, form: FormData, p: Progress): Promise<JobResult> {
  const patient = field(form, 'patient', 100);
  const type = field(form, 'type', 20) || undefined;
  const title = field(form, 'title', 200) || undefined;
  return withUpload(form, async (path, name) => {
    p(`adding ${name} for ${s.label(patient)}: validating, encrypting, storing, registering`);
    const res = await addRecordsFlow(withProgress(s, p), addInput([path], { patient, type, title }));
    return {
      summary: `Added ${res.records.length} record(s) for ${s.label(patient)}`,
      txHashes: [...new Set(res.records.map((r) => r.txHash))],
      fields: res.records.map((r): [string, string] => [
        `record ${r.id}`,
        `${r.type}${r.title ? `: ${r.title}` : ''}${r.date ? ` (${r.date.slice(0, 10)})` : ''}`,
      ]),
      notes: res.warnings,
      next: { href: `/patients/${res.records[0]?.patient ?? ''}`, label: 'See the patient’s timeline' },
    };
  });
}

export async function verifyAction(s: UiSession, form: FormData, p: Progress): Promise<JobResult> {
  return withUpload(form, async (path, name) => {
    p(`verifying ${name}`);
    const v = await verifyRecord(s, { kind: 'file', path, given: name });
    // The CLI's refusal, word for word (`emr verify`: exit 4).
    if (!v.authorAuthorized)
      throw new IntegrityError(`signed by ${v.author}, who was not a verified provider then (${v.authority})`, {
        hint: 'do not rely on this record; ask the patient or the consortium',
      });
    return {
      summary: `Valid: signed by ${s.label(v.author)}, who was authorised when it was signed`,
      txHashes: [],
      fields: [
        ['author', v.author],
        ['patient', v.patient],
        ['type', v.type],
        ['title', v.title ?? '—'],
        ['signed', v.signedAt],
        ['authority', v.authority],
        ['SHA-256', v.sha256],
      ],
    };
  });
}
