/**
 * The reads the web view needs that no CLI command makes as such (docs/UI.md § 2): a
 * clinician's patients (who granted me, confirmed against current state, as `grant list`
 * does), a patient's emergency types, and a record opened for its page (decrypted and
 * verified by the same openRecord as `fetch`, into a private temporary file that is read,
 * bounded, and removed).
 */
import { readFileSync, statSync } from 'node:fs';
import { grantOf } from '../chain/grants.js';
import { addressTopic, queryEvents } from '../chain/logs.js';
import { getRecord } from '../chain/records.js';
import { whois } from '../chain/whois.js';
import { fetchOne } from '../records/fetch-record.js';
import { withPrivateTemp } from '../records/save.js';
import { slotsFor } from '../records/type-keys.js';
import type { With } from '../session/index.js';

export type UiSession = With<'me' | 'chain' | 'store'>;

/** At most this many patients are listed (events are public and unbounded). */
const MAX_PATIENTS = 500;
/** A record larger than this is not shown in the page (fetch it with the CLI). */
export const MAX_SHOWN_BYTES = 8 * 1024 * 1024;

export interface MyPatient {
  patient: string;
  read: string[];
  write: string[];
  expires: string | null;
  records: number;
}

/** Patients whose grant to me (by type or by record) is live now. */
export async function myPatients(s: UiSession): Promise<MyPatient[]> {
  const me = s.me.profile.address;
  const events = await queryEvents(s.chain, { names: ['Granted', 'RecordsGranted'], topics: [null, addressTopic(me)] });
  const patients = new Map<string, number>();
  for (const e of events) {
    const p = (e.args[0] as string).toLowerCase();
    const ids = e.name === 'RecordsGranted' ? (e.args[2] as bigint[]).length : 0;
    patients.set(p, (patients.get(p) ?? 0) + ids);
    if (patients.size >= MAX_PATIENTS) break;
  }
  const out: MyPatient[] = [];
  for (const [patient, recordGrants] of patients) {
    const g = await grantOf(s.chain, patient, me);
    if (!g.live && recordGrants === 0) continue;
    // The patient's slots → names with the key their grant delivered (CONTRACT.md § Privacy).
    const slots = await slotsFor(s, patient);
    out.push({
      patient: g.patient,
      read: g.live ? slots.fromMask(g.readMask) : [],
      write: g.live ? slots.fromMask(g.writeMask) : [],
      expires: g.live ? new Date(g.expiry * 1000).toISOString() : null,
      records: recordGrants,
    });
  }
  return out;
}

export async function emergencyTypesOf(s: UiSession): Promise<string[]> {
  const slots = await slotsFor(s, s.me.profile.address);
  return slots.fromMask((await whois(s.chain, s.me.profile.address)).emergencyTypes);
}

/**
 * A record decrypted and verified for its page. `receipt`: post the on-chain read receipt
 * (a clinician's read; a patient reading their own record posts none).
 */
export async function openForPage(s: UiSession, id: bigint, receipt: boolean) {
  const rec = await getRecord(s.chain, id);
  return withPrivateTemp(async (tmp) => {
    const out = await fetchOne(s, { id: rec.id, target: { kind: 'file', path: tmp, force: true }, raw: false, receipt });
    const size = statSync(tmp).size;
    const bytes = size <= MAX_SHOWN_BYTES ? readFileSync(tmp) : null;
    return { out, rec, size, bytes };
  });
}
