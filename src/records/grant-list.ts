/**
 * `emr grant list` (docs/FHIR.md § 8): who can see what. The contract answers "may X
 * read?" but cannot enumerate, so candidates come from the patient's events (Granted,
 * RecordsGranted, EmergencyOpened, EmergencyKeysReleased) and each is confirmed against
 * current state (grantOf, canRead). Then, honestly, who can technically still decrypt: a
 * provider whose access ended keeps the file keys of the records they were a recipient of
 * or were delivered, until the patient re-keys them (docs/SHARING.md § 3).
 */

import { canRead, grantOf } from '../chain/grants.js';
import { addressTopic, blockTimes, queryEvents } from '../chain/logs.js';
import { MAX_ORGS, type OrgMember, orgGrantOf, orgInfo } from '../chain/org-state.js';
import { listRecords } from '../chain/records.js';
import type { EmrChain } from '../chain/types.js';
import { InternalError } from '../errors.js';
import { type ConsentGrant, consentBundle } from '../fhir/consent.js';
import { findFhirError } from '../fhir/validate.js';
import { type TypeSlots, UNKEYED } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import type { Unlocked } from '../session/unlock.js';
import { slotsFor } from './type-keys.js';

// The same terminal rendering as `audit --format fhir`: indented, terminal controls escaped.
export { terminalJson } from './audit-fhir.js';

/** One provider's access; the fields a FHIR Consent renders are ConsentGrant's (fhir/consent.ts). */
export interface GrantEntry extends ConsentGrant {
  emergency: { open: boolean; until: string | null };
  /** Key-delivery objects published to this provider (grants, record grants, emergency releases). */
  keysDelivered: number;
  /**
   * Records whose current ciphertext this provider may still decrypt although the chain no
   * longer lets them read it (re-key candidates: `emr revoke <provider> --rekey`).
   */
  stillDecryptable: string[];
}

const iso = (s: number) => (s > 0 ? new Date(s * 1000).toISOString() : null);

export async function listGrants(chain: EmrChain, patient: string, slots: TypeSlots = UNKEYED): Promise<GrantEntry[]> {
  const pTopic = addressTopic(patient);
  const [events, rekeys, records, typeSets] = await Promise.all([
    queryEvents(chain, { names: ['Granted', 'RecordsGranted', 'Revoked', 'EmergencyOpened', 'EmergencyKeysReleased'], topics: [pTopic] }),
    queryEvents(chain, { names: ['RecordRekeyed'], topics: [null, pTopic] }),
    listRecords(chain, { patient }),
    queryEvents(chain, { names: ['EmergencyTypesSet'], topics: [pTopic] }),
  ]);
  // Consents are dated by the block that gave them (docs/FHIR.md § 8), not the export time.
  const times = await blockTimes(
    chain,
    events.filter((e) => e.name === 'Granted' || e.name === 'RecordsGranted' || e.name === 'EmergencyOpened').map((e) => e.blockNumber),
  );
  const at = (block: number) => new Date((times.get(block) ?? 0) * 1000).toISOString();
  const latestTime = (await chain.provider.getBlock('latest'))?.timestamp ?? 0;
  const lastRekey = new Map<string, number>();
  for (const e of rekeys)
    if ((e.args[1] as string).toLowerCase() === patient.toLowerCase()) lastRekey.set((e.args[0] as bigint).toString(), e.blockNumber);
  const byProvider = new Map<string, typeof events>();
  for (const e of events) {
    const p = e.args[1] as string;
    if (!byProvider.has(p)) byProvider.set(p, []);
    byProvider.get(p)!.push(e);
  }
  const out: GrantEntry[] = [];
  for (const [provider, evs] of byProvider) {
    const g = await grantOf(chain, patient, provider);
    // Record grants since the last revoke, confirmed one by one on chain.
    const lastRevoke = Math.max(-1, ...evs.filter((e) => e.name === 'Revoked').map((e) => e.blockNumber));
    const granted = new Set<string>();
    for (const e of evs)
      if (e.name === 'RecordsGranted' && e.blockNumber > lastRevoke) for (const id of e.args[2] as bigint[]) granted.add(id.toString());
    const recordIds: string[] = [];
    for (const id of granted) {
      const rec = records.find((r) => r.id.toString() === id);
      if (rec && (await canRead(chain, { reader: provider, patient, recordType: rec.recordType, recordId: rec.id }))) recordIds.push(id);
    }
    // Who could ever decrypt what: records of a type granted (read) while the grant was
    // in force and added before it ended, records granted by id, emergency releases.
    const everTypes = evs.filter((e) => e.name === 'Granted').reduce((m, e) => m | Number(e.args[2]), 0);
    const everIds = new Set<string>();
    for (const e of evs) if (e.name === 'RecordsGranted') for (const id of e.args[2] as bigint[]) everIds.add(id.toString());
    const accessEvents = evs.filter((e) => e.name === 'Granted' || e.name === 'RecordsGranted' || e.name === 'EmergencyKeysReleased');
    const emergencyReleased = evs.some((e) => e.name === 'EmergencyKeysReleased');
    // Keys handed out up to here: the last revoke, or (expired without revoke) the last grant.
    const accessEnd = lastRevoke >= 0 ? lastRevoke : Math.max(-1, ...accessEvents.map((e) => e.blockNumber));
    const stillDecryptable: string[] = [];
    for (const r of accessEvents.length ? records : []) {
      const id = r.id.toString();
      const couldHave = everIds.has(id) || ((everTypes >>> r.recordType) & 1) === 1 || emergencyReleased;
      if (!couldHave || r.blockNumber > accessEnd) continue;
      if ((lastRekey.get(id) ?? -1) > accessEnd) continue; // re-keyed since: the old keys no longer open it
      if (await canRead(chain, { reader: provider, patient, recordType: r.recordType, recordId: r.id })) continue; // still allowed
      stillDecryptable.push(id);
    }
    const zero = '0x' + '00'.repeat(32);
    const keysDelivered = accessEvents.filter((e) => String(e.name === 'EmergencyKeysReleased' ? e.args[3] : e.args[5]) !== zero).length;
    const lastGrant = evs.filter((e) => e.name === 'Granted' || e.name === 'RecordsGranted').at(-1);
    // Each break-glass window with the emergency-visible types in force when it opened (§ 8.1).
    const emergencies = evs
      .filter((e) => e.name === 'EmergencyOpened')
      .slice(-50)
      .map((e) => {
        const mask = typeSets.filter((t) => t.blockNumber <= e.blockNumber).at(-1)?.args[1];
        const until = Number(e.args[2]);
        return { openedAt: at(e.blockNumber), until: iso(until)!, open: until > latestTime, types: slots.fromMask(Number(mask ?? 0)) };
      });
    // Slots → names with the patient's key (CONTRACT.md § Privacy); padding is dropped.
    const read = g.live ? slots.fromMask(g.readMask) : [];
    const write = g.live ? slots.fromMask(g.writeMask) : [];
    out.push({
      provider,
      live: g.live || recordIds.length > 0 || g.emergencyOpen,
      read,
      write,
      records: recordIds,
      expires: g.live ? iso(g.expiry) : null,
      grantedAt: lastGrant ? at(lastGrant.blockNumber) : null,
      grantLive: g.live || recordIds.length > 0,
      emergencies,
      emergency: { open: g.emergencyOpen, until: g.emergencyOpen ? iso(g.emergencyUntil) : null },
      keysDelivered,
      stillDecryptable,
    });
  }
  return out;
}

/** One grant to an organisation (docs/SHARING.md § 9.8). */
export interface OrgGrantEntry {
  org: string;
  name: string;
  /** The department the grant is limited to, '' for the whole org. */
  department: string;
  live: boolean;
  read: string[];
  expires: string | null;
  /** Current members in the grant's scope. */
  members: string[];
  /**
   * Current members in scope who joined after the patient's last key delivery to this org:
   * they read what is added after they joined, not the records before (§ 9.3), until the
   * patient runs `emr grant --org` again.
   */
  pendingKeys: string[];
  lastDeliveryAt: string | null;
}

/**
 * Whether `m` joined after the key delivery `d` (none: every member lacks the keys), by log
 * position: block, then log index (a timestamp cannot tell two events of one second apart).
 */
function joinedAfter(m: OrgMember, d: { blockNumber: number; logIndex: number } | undefined): boolean {
  if (!d) return true;
  const j = m.joinedLog;
  return j.blockNumber > d.blockNumber || (j.blockNumber === d.blockNumber && j.logIndex > d.logIndex);
}

/**
 * The patient's grants to organisations, from OrgGranted events confirmed against state
 * (orgGrantOf), with the members who have not had the older records' keys.
 */
export async function listOrgGrants(chain: EmrChain, patient: string, slots: TypeSlots = UNKEYED): Promise<OrgGrantEntry[]> {
  const events = await queryEvents(chain, { names: ['OrgGranted'], topics: [addressTopic(patient)] });
  const orgs = [...new Set(events.map((e) => (e.args[1] as bigint).toString()))].slice(0, MAX_ORGS);
  const zero = `0x${'00'.repeat(32)}`;
  const out: OrgGrantEntry[] = [];
  for (const id of orgs) {
    const org = BigInt(id);
    const [g, info] = await Promise.all([orgGrantOf(chain, patient, org), orgInfo(chain, org)]);
    const delivery = events.filter((e) => (e.args[1] as bigint) === org && String(e.args[5]) !== zero).at(-1);
    const deliveredAt = delivery ? ((await blockTimes(chain, [delivery.blockNumber])).get(delivery.blockNumber) ?? 0) : 0;
    const inScope = info.members.filter((m) => !m.leftAt && (g.departmentTag === 0 || m.departmentTag === g.departmentTag));
    out.push({
      org: id,
      name: info.name,
      department: g.departmentTag
        ? (info.members.find((m) => m.departmentTag === g.departmentTag)?.department ?? `tag ${g.departmentTag}`)
        : '',
      live: g.live,
      read: g.live ? slots.fromMask(g.readMask) : [],
      expires: g.live ? iso(g.expiry) : null,
      members: inScope.map((m) => m.address),
      pendingKeys: g.live ? inScope.filter((m) => joinedAfter(m, delivery)).map((m) => m.address) : [],
      lastDeliveryAt: iso(deliveredAt),
    });
  }
  return out;
}

/**
 * `emr grant list [--patient] [--format fhir]` (docs/SHARING.md § 2; docs/FHIR.md § 8): the
 * patient's grants, or the same as a validated R4 Consent Bundle.
 */
export async function grantListFlow(s: With<'chain'> & { me?: Unlocked | undefined }, input: { patient?: string; format?: 'fhir' }) {
  const patient = input.patient ? await resolveAddress(s.ctx, input.patient) : s.ctx.profile().address;
  const slots = await slotsFor(s, patient);
  const [grants, orgGrants] = await Promise.all([listGrants(s.chain, patient, slots), listOrgGrants(s.chain, patient, slots)]);
  if (input.format !== 'fhir') return { patient, grants, orgGrants, fhir: undefined };
  const bundle = consentBundle(patient, grants, s.now());
  const err = findFhirError(bundle as never);
  if (err) throw new InternalError(`the Consent output does not validate: ${err.path}: ${err.message}`);
  return { patient, grants, orgGrants, fhir: bundle };
}
