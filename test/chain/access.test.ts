import { beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { approveRequest } from '../../src/chain/approve-request.js';
import { type AuditEvent, auditEvents, watchAudit } from '../../src/chain/audit.js';
import { denyRequest } from '../../src/chain/deny-request.js';
import { grant } from '../../src/chain/grant.js';
import { grantRecords } from '../../src/chain/grant-records.js';
import { canRead, canWrite, grantOf, keyDeliveries, liveReaders } from '../../src/chain/grants.js';
import { logAccess } from '../../src/chain/log-access.js';
import { openEmergency } from '../../src/chain/open-emergency.js';
import { releaseEmergencyKeys } from '../../src/chain/release-emergency-keys.js';
import { requestAccess } from '../../src/chain/request-access.js';
import { listRequests } from '../../src/chain/requests.js';
import { revoke } from '../../src/chain/revoke.js';
import { setEmergencyRecipient } from '../../src/chain/set-emergency-recipient.js';
import { setEmergencyTypes } from '../../src/chain/set-emergency-types.js';
import { suspendProvider } from '../../src/chain/suspend-provider.js';
import { AccessDeniedError, NotFoundError, UsageError } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';
import { type Actor, type ChainWorld, chainWorld, digest, X25519_RECIPIENT } from '../helpers/world.js';

const NOTE = 0;
const LAB = 1;
const ALLERGY = 5;
const YEAR = 365 * 86400;
const KD = `0x${'ab'.repeat(32)}`;

let f: ChainWorld;
let patient: Actor;
beforeAll(async () => {
  f = await chainWorld();
  patient = await f.patient();
});

const reads = (reader: Actor, recordType: number, recordId = 0n, p: Actor = patient) =>
  canRead(reader.chain, { reader: reader.address, patient: p.address, recordType, recordId });

describe('type grants and revoke', () => {
  it('grant gives exactly the granted types; revoke ends it and bumps the epoch', async () => {
    const doc = await f.provider();
    expect(await reads(doc, LAB)).toBe(false);
    const exp = (await f.now()) + YEAR;
    await grant(patient.chain, { provider: doc.address, readMask: 1 << LAB, writeMask: 1 << NOTE, expiry: exp, keyDelivery: KD });
    expect(await reads(doc, LAB)).toBe(true);
    expect(await reads(doc, NOTE)).toBe(false);
    expect(await canWrite(doc.chain, { author: doc.address, patient: patient.address, recordType: NOTE })).toBe(true);
    expect(await canWrite(doc.chain, { author: doc.address, patient: patient.address, recordType: LAB })).toBe(false);
    expect(await grantOf(doc.chain, patient.address, doc.address)).toMatchObject({
      expiry: exp,
      readMask: 2,
      writeMask: 1,
      epoch: 0,
      live: true,
    });
    expect(await reads(patient, LAB)).toBe(true); // the patient always reads their own

    await revoke(patient.chain, { provider: doc.address });
    expect(await reads(doc, LAB)).toBe(false);
    expect(await canWrite(doc.chain, { author: doc.address, patient: patient.address, recordType: NOTE })).toBe(false);
    expect(await grantOf(doc.chain, patient.address, doc.address)).toMatchObject({
      expiry: 0,
      readMask: 0,
      writeMask: 0,
      epoch: 1,
      live: false,
    });
  });

  it('only the patient acts on their own grants: not another patient, not an admin, not the provider', async () => {
    const doc = await f.provider();
    const other = await f.patient();
    await grant(patient.chain, { provider: doc.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    // Patient B's grant/revoke only ever touches B's own slot.
    await revoke(other.chain, { provider: doc.address });
    expect(await reads(doc, LAB)).toBe(true);
    await grant(other.chain, { provider: doc.address, readMask: 1 << NOTE, expiry: (await f.now()) + YEAR });
    expect(await reads(doc, NOTE)).toBe(false);
    expect(await reads(doc, NOTE, 0n, other)).toBe(true);
    // An admin (not a patient) cannot grant at all.
    await expect(grant(f.admin.chain, { provider: doc.address, readMask: 1, expiry: (await f.now()) + YEAR })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'NotPatient' },
    });
    // A non-patient's revoke touches only its own (empty) slot: the patient's grant stands.
    await revoke(f.admin.chain, { provider: doc.address });
    await revoke(doc.chain, { provider: doc.address });
    expect(await reads(doc, LAB)).toBe(true);
    expect((await grantOf(patient.chain, patient.address, doc.address)).live).toBe(true);
  });

  it('refuses past expiry, empty masks, self grants and unregistered grantees', async () => {
    const doc = await f.provider();
    const now = await f.now();
    await expect(grant(patient.chain, { provider: doc.address, readMask: 1, expiry: now - 10 })).rejects.toMatchObject({
      code: 'USAGE',
      details: { contractError: 'InvalidExpiry' },
    });
    await expect(grant(patient.chain, { provider: doc.address, readMask: 0, expiry: now + YEAR })).rejects.toBeInstanceOf(UsageError);
    await expect(grant(patient.chain, { provider: patient.address, readMask: 1, expiry: now + YEAR })).rejects.toMatchObject({
      details: { contractError: 'SelfGrant' },
    });
    const nobody = await f.actor();
    await expect(grant(patient.chain, { provider: nobody.address, readMask: 1, expiry: now + YEAR })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a suspended provider reads nothing even with a live grant', async () => {
    const doc = await f.provider();
    await grant(patient.chain, { provider: doc.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    await suspendProvider(f.admin.chain, { provider: doc.address });
    expect(await reads(doc, LAB)).toBe(false);
    expect(await liveReaders(doc.chain, patient.address, LAB)).not.toContainEqual(expect.objectContaining({ address: doc.address }));
  });
});

describe('record-scoped grants', () => {
  it('read only the granted record ids, and all die with one revoke', async () => {
    const doc = await f.provider();
    const r1 = await addRecord(patient.chain, { patient: patient.address, recordType: LAB, cidCodec: 0x55, digest: digest(1) });
    const r2 = await addRecord(patient.chain, { patient: patient.address, recordType: LAB, cidCodec: 0x55, digest: digest(2) });
    await grantRecords(patient.chain, { provider: doc.address, ids: [r1.id], expiry: (await f.now()) + YEAR, keyDelivery: KD });
    expect(await reads(doc, LAB, r1.id)).toBe(true);
    expect(await reads(doc, LAB, r2.id)).toBe(false);
    expect(await reads(doc, LAB)).toBe(false);
    await revoke(patient.chain, { provider: doc.address });
    expect(await reads(doc, LAB, r1.id)).toBe(false);
    // A new grant after the revoke is stamped with the new epoch and works again.
    await grantRecords(patient.chain, { provider: doc.address, ids: [r2.id], expiry: (await f.now()) + YEAR });
    expect(await reads(doc, LAB, r2.id)).toBe(true);
    expect(await reads(doc, LAB, r1.id)).toBe(false);
    await expect(
      grantRecords(patient.chain, { provider: doc.address, ids: [10n ** 12n], expiry: (await f.now()) + YEAR }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const kds = await keyDeliveries(doc.chain, patient.address, doc.address);
    expect(kds).toMatchObject([{ kind: 'records', keyDelivery: KD, recordIds: [r1.id] }]);
  });
});

describe('access requests', () => {
  it('request → approve creates the grant; deciding twice or by the wrong patient fails', async () => {
    const doc = await f.provider();
    const { requestId } = await requestAccess(doc.chain, { patient: patient.address, readMask: 1 << ALLERGY, reason: 'pre-op check' });
    expect(await listRequests(patient.chain, { patient: patient.address, state: 'pending' })).toContainEqual(
      expect.objectContaining({ requestId, provider: doc.address, readMask: 1 << ALLERGY, reason: 'pre-op check', state: 'pending' }),
    );
    const other = await f.patient();
    await expect(approveRequest(other.chain, { requestId, expiry: (await f.now()) + YEAR })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { contractError: 'UnknownRequest' },
    });
    await expect(denyRequest(doc.chain, { requestId })).rejects.toBeInstanceOf(NotFoundError);
    await approveRequest(patient.chain, { requestId, expiry: (await f.now()) + YEAR, keyDelivery: KD });
    expect(await reads(doc, ALLERGY)).toBe(true);
    await expect(approveRequest(patient.chain, { requestId, expiry: (await f.now()) + YEAR })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'RequestAlreadyDecided' },
    });
    await expect(denyRequest(patient.chain, { requestId })).rejects.toMatchObject({ details: { contractError: 'RequestAlreadyDecided' } });
    expect((await listRequests(patient.chain, { patient: patient.address })).find((r) => r.requestId === requestId)?.state).toBe(
      'approved',
    );
  });

  it('approve extends an existing grant (types added, later expiry kept); deny grants nothing', async () => {
    const doc = await f.provider();
    const far = (await f.now()) + 2 * YEAR;
    await grant(patient.chain, { provider: doc.address, readMask: 1 << LAB, writeMask: 1 << LAB, expiry: far });
    const { requestId } = await requestAccess(doc.chain, { patient: patient.address, readMask: 1 << NOTE });
    await approveRequest(patient.chain, { requestId, expiry: (await f.now()) + 86400 });
    expect(await grantOf(doc.chain, patient.address, doc.address)).toMatchObject({
      readMask: (1 << LAB) | (1 << NOTE),
      writeMask: 1 << LAB,
      expiry: far,
    });
    const denied = await requestAccess(doc.chain, { patient: patient.address, readMask: 1 << ALLERGY });
    await denyRequest(patient.chain, { requestId: denied.requestId });
    expect(await reads(doc, ALLERGY)).toBe(false);
    await expect(approveRequest(patient.chain, { requestId: denied.requestId, expiry: far })).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('only providers request, and only of patients', async () => {
    const other = await f.patient();
    await expect(requestAccess(other.chain, { patient: patient.address, readMask: 1 })).rejects.toMatchObject({
      details: { contractError: 'NotProvider' },
    });
    const doc = await f.provider();
    await expect(requestAccess(doc.chain, { patient: doc.address, readMask: 1 })).rejects.toMatchObject({
      details: { contractError: 'NotPatient' },
    });
  });
});

describe('emergency', () => {
  it('a verified provider opens break-glass read for the emergency-visible types only', async () => {
    const p = await f.patient();
    const er = await f.provider();
    await setEmergencyTypes(p.chain, { mask: 1 << ALLERGY });
    const res = await openEmergency(er.chain, { patient: p.address, reason: 'unconscious, ER' });
    expect(res.expiresAt).toBe((await f.now()) + 86400);
    expect(await reads(er, ALLERGY, 0n, p)).toBe(true);
    expect(await reads(er, LAB, 0n, p)).toBe(false);
    const unverified = await f.provider({ verified: false });
    await expect(openEmergency(unverified.chain, { patient: p.address, reason: 'x' })).rejects.toMatchObject({
      details: { contractError: 'ProviderNotVerified' },
    });
    await expect(openEmergency(er.chain, { patient: p.address, reason: ' ' })).rejects.toBeInstanceOf(UsageError);
    await revoke(p.chain, { provider: er.address });
    expect(await reads(er, ALLERGY, 0n, p)).toBe(false);
    const evs = await auditEvents(p.chain, { patient: p.address });
    expect(evs.find((e) => e.kind === 'EmergencyOpened')).toMatchObject({
      actor: er.address,
      patient: p.address,
      fields: { reason: 'unconscious, ER', expiresAt: res.expiresAt },
    });
  });

  it("emergency key release: only an admin, only while that provider's emergency is open, always evented", async () => {
    const p = await f.patient();
    const er = await f.provider();
    const other = await f.provider();
    await setEmergencyTypes(p.chain, { mask: 1 << ALLERGY });
    // No emergency open yet: refused even for an admin (exit 3 class).
    await expect(releaseEmergencyKeys(f.admin.chain, { patient: p.address, provider: er.address, keyDelivery: KD })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    await openEmergency(er.chain, { patient: p.address, reason: 'anaphylaxis' });
    await expect(releaseEmergencyKeys(er.chain, { patient: p.address, provider: er.address, keyDelivery: KD })).rejects.toMatchObject({
      details: { contractError: 'NotAdmin' },
    });
    await expect(
      releaseEmergencyKeys(f.admin.chain, { patient: p.address, provider: other.address, keyDelivery: KD }),
    ).rejects.toMatchObject({ details: { contractError: 'NoOpenEmergency' } });
    await releaseEmergencyKeys(f.admin.chain, { patient: p.address, provider: er.address, keyDelivery: KD });
    expect(await keyDeliveries(er.chain, p.address, er.address)).toEqual([expect.objectContaining({ kind: 'emergency', keyDelivery: KD })]);
    const evs = await auditEvents(p.chain, { patient: p.address });
    expect(evs.find((e) => e.kind === 'EmergencyKeysReleased')).toMatchObject({
      actor: f.admin.address,
      patient: p.address,
      fields: { provider: er.address, keyDelivery: KD },
    });
    // Once the provider is revoked the emergency is closed: no more releases.
    await revoke(p.chain, { provider: er.address });
    await expect(releaseEmergencyKeys(f.admin.chain, { patient: p.address, provider: er.address, keyDelivery: KD })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });

  it('admins publish the emergency recipient; others cannot', async () => {
    await setEmergencyRecipient(f.admin.chain, { recipient: X25519_RECIPIENT });
    await expect(setEmergencyRecipient(patient.chain, { recipient: X25519_RECIPIENT })).rejects.toMatchObject({
      details: { contractError: 'NotAdmin' },
    });
    await expect(setEmergencyTypes(f.admin.chain, { mask: 1 })).rejects.toMatchObject({ details: { contractError: 'NotPatient' } });
  });
});

describe('read receipts, live readers and audit', () => {
  it('logAccess only for current readers; liveReaders lists exactly the live grantees', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    const gone = await f.provider();
    const other = await f.provider();
    const { id } = await addRecord(p.chain, { patient: p.address, recordType: LAB, cidCodec: 0x55, digest: digest(9) });
    await grant(p.chain, { provider: doc.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR, keyDelivery: KD });
    await grant(p.chain, { provider: gone.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    await grant(p.chain, { provider: other.address, readMask: 1 << NOTE, expiry: (await f.now()) + YEAR });
    await revoke(p.chain, { provider: gone.address });

    await logAccess(doc.chain, { recordId: id, patient: p.address, recordType: LAB });
    await logAccess(p.chain, { recordId: id, patient: p.address, recordType: LAB });
    await expect(logAccess(gone.chain, { recordId: id, patient: p.address, recordType: LAB })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'NoReadAccess' },
    });
    await expect(logAccess(doc.chain, { recordId: 10n ** 12n, patient: p.address, recordType: LAB })).rejects.toBeInstanceOf(NotFoundError);

    const live = await liveReaders(p.chain, p.address, LAB);
    expect(live).toEqual([{ address: doc.address, recipient: X25519_RECIPIENT, expiry: expect.any(Number) }]);
    expect((await keyDeliveries(p.chain, p.address, doc.address)).map((k) => k.keyDelivery)).toEqual([KD]);

    const trail = await auditEvents(p.chain, { patient: p.address });
    expect(trail.map((e) => e.kind)).toEqual([
      'Registered',
      'RecordAdded',
      'Granted',
      'Granted',
      'Granted',
      'Revoked',
      'RecordAccessed',
      'RecordAccessed',
    ]);
    expect(trail.every((e) => e.patient === p.address && e.time > 0)).toBe(true);
    expect(trail[2]).toMatchObject({ actor: p.address, fields: { provider: doc.address, readMask: 2, writeMask: 0, keyDelivery: KD } });
    expect(trail[6]).toMatchObject({ actor: doc.address, fields: { recordId: Number(id), reader: doc.address } });
    // Nothing about other patients leaks into this patient's trail.
    expect(trail.some((e) => e.kind === 'AdminAdded' || e.kind === 'ProviderVerified')).toBe(false);
  });

  it('watchAudit delivers new events in order and stops', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    const seen: AuditEvent[] = [];
    // From the next block on, stated: no sleep hoping the watcher's first poll ran before the grant.
    const fromBlock = (await p.chain.provider.getBlockNumber()) + 1;
    const watch = watchAudit(p.chain, { patient: p.address, fromBlock, onEvent: (e) => seen.push(e), pollMs: 50 });
    await grant(p.chain, { provider: doc.address, readMask: 1, expiry: (await f.now()) + YEAR });
    await revoke(p.chain, { provider: doc.address });
    await waitFor(() => seen.length >= 2, { timeoutMs: 10_000, what: 'two audit events' }).catch(() => undefined);
    await watch.stop();
    expect(seen.map((e) => e.kind)).toEqual(['Granted', 'Revoked']);
  });
});
