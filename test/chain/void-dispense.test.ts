// CONTRACT.md § Void and dispense (issue 21 § 2 and § 5): raw contract calls on anvil.
import { beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { auditEvents } from '../../src/chain/audit.js';
import { dispensedOf, dispensePrescription } from '../../src/chain/dispense-prescription.js';
import { grant } from '../../src/chain/grant.js';
import { grantRecords } from '../../src/chain/grant-records.js';
import { getRecord, listRecords, voidsOf } from '../../src/chain/records.js';
import { revoke } from '../../src/chain/revoke.js';
import { suspendProvider } from '../../src/chain/suspend-provider.js';
import { voidRecord } from '../../src/chain/void-record.js';
import { AccessDeniedError, NotFoundError, UsageError } from '../../src/errors.js';
import { type Actor, type ChainWorld, chainWorld, digest } from '../helpers/world.js';

const LAB = 1;
const RX = 3;
const YEAR = 365 * 86400;
let f: ChainWorld;
let patient: Actor;
let doctor: Actor;
let n = 0x5000;
beforeAll(async () => {
  f = await chainWorld();
  patient = await f.patient();
  doctor = await f.provider();
  const expiry = (await f.now()) + YEAR;
  await grant(patient.chain, { provider: doctor.address, readMask: (1 << LAB) | (1 << RX), writeMask: (1 << LAB) | (1 << RX), expiry });
});

const add = async (by: Actor, recordType: number, who: Actor = patient) =>
  (await addRecord(by.chain, { patient: who.address, recordType, cidCodec: 0x55, digest: digest(n++) })).id;

describe('voidRecord', () => {
  it('MUST: the author voids with a reason; readers see it on getRecord, listRecords and voidsOf; the bytes (CID) stay', async () => {
    const id = await add(doctor, LAB);
    const before = await getRecord(patient.chain, id);
    expect(before.voided).toBeNull();
    const sent = await voidRecord(doctor.chain, { id, patient: patient.address, reason: 'wrong patient' });
    const rec = await getRecord(patient.chain, id);
    expect(rec.voided).toMatchObject({ by: doctor.address, reason: 'wrong patient', txHash: sent.txHash });
    expect(rec.voided!.at).toBeGreaterThan(0);
    expect(rec.cid).toBe(before.cid);
    const listed = (await listRecords(patient.chain, { patient: patient.address })).find((r) => r.id === id);
    expect(listed?.voided?.reason).toBe('wrong patient');
    expect((await voidsOf(patient.chain, patient.address)).get(id.toString())?.by).toBe(doctor.address);
  });

  it('MUST: the patient may void a record a provider wrote', async () => {
    const id = await add(doctor, LAB);
    await voidRecord(patient.chain, { id, patient: patient.address, reason: 'not mine' });
    expect((await getRecord(doctor.chain, id)).voided?.by).toBe(patient.address);
  });

  it('MUST: readers ignore a void from neither author nor patient, or naming another patient', async () => {
    const id = await add(doctor, LAB);
    const intruder = await f.provider();
    await voidRecord(intruder.chain, { id, patient: patient.address, reason: 'grief' });
    const other = await f.patient();
    await voidRecord(other.chain, { id, patient: other.address, reason: 'grief' });
    expect((await getRecord(patient.chain, id)).voided).toBeNull();
    // The first accepted void counts; a later one changes nothing.
    await voidRecord(patient.chain, { id, patient: patient.address, reason: 'first' });
    await voidRecord(doctor.chain, { id, patient: patient.address, reason: 'second' });
    expect((await getRecord(patient.chain, id)).voided?.reason).toBe('first');
  });

  it('MUST: refuses an unknown id, an empty or oversized reason, a non-patient claiming to be the patient, a suspended provider', async () => {
    const id = await add(doctor, LAB);
    await expect(voidRecord(doctor.chain, { id: 10_000_000n, patient: patient.address, reason: 'x' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(voidRecord(doctor.chain, { id, patient: patient.address, reason: ' ' })).rejects.toBeInstanceOf(UsageError);
    await expect(voidRecord(doctor.chain, { id, patient: patient.address, reason: 'é'.repeat(513) })).rejects.toBeInstanceOf(UsageError);
    const stranger = await f.actor();
    await expect(voidRecord(stranger.chain, { id, patient: patient.address, reason: 'x' })).rejects.toMatchObject({
      details: { contractError: 'NotProvider' },
    });
    const bad = await f.provider();
    await suspendProvider(f.admin.chain, { provider: bad.address });
    await expect(voidRecord(bad.chain, { id, patient: patient.address, reason: 'x' })).rejects.toMatchObject({
      details: { contractError: 'SuspendedProvider' },
    });
  });
});

describe('dispensePrescription', () => {
  it('MUST: a verified provider granted prescription dispenses once; the second names the first', async () => {
    const pharmacist = await f.provider();
    await grant(patient.chain, { provider: pharmacist.address, readMask: 1 << RX, expiry: (await f.now()) + YEAR });
    const id = await add(doctor, RX);
    expect(await dispensedOf(pharmacist.chain, patient.address, id, RX)).toBeNull();
    const sent = await dispensePrescription(pharmacist.chain, { id, patient: patient.address, slot: RX });
    const at = (await pharmacist.chain.provider.getBlock(sent.blockNumber))!.timestamp;
    expect(await dispensedOf(patient.chain, patient.address, id, RX)).toEqual({ by: pharmacist.address, at });
    expect((await getRecord(patient.chain, id)).dispensed).toMatchObject({ by: pharmacist.address, at, txHash: sent.txHash });
    const again = dispensePrescription(doctor.chain, { id, patient: patient.address, slot: RX });
    await expect(again).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(again).rejects.toMatchObject({
      details: { contractError: 'AlreadyDispensed', args: { 1: pharmacist.address, 2: String(at) } },
    });
  });

  it('MUST: a record grant of that id counts; an unverified provider, no grant, a revoked grant are refused', async () => {
    const id = await add(doctor, RX);
    const byRecord = await f.provider();
    await grantRecords(patient.chain, { provider: byRecord.address, ids: [id], expiry: (await f.now()) + YEAR });
    const nobody = await f.provider();
    await expect(dispensePrescription(nobody.chain, { id, patient: patient.address, slot: RX })).rejects.toMatchObject({
      details: { contractError: 'NotGrantedPrescription' },
    });
    const unverified = await f.provider({ verified: false });
    await grant(patient.chain, { provider: unverified.address, readMask: 1 << RX, expiry: (await f.now()) + YEAR });
    await expect(dispensePrescription(unverified.chain, { id, patient: patient.address, slot: RX })).rejects.toMatchObject({
      details: { contractError: 'ProviderNotVerified' },
    });
    const revoked = await f.provider();
    await grant(patient.chain, { provider: revoked.address, readMask: 1 << RX, expiry: (await f.now()) + YEAR });
    await revoke(patient.chain, { provider: revoked.address });
    await expect(dispensePrescription(revoked.chain, { id, patient: patient.address, slot: RX })).rejects.toMatchObject({
      details: { contractError: 'NotGrantedPrescription' },
    });
    await dispensePrescription(byRecord.chain, { id, patient: patient.address, slot: RX });
    expect((await getRecord(patient.chain, id)).dispensed?.by).toBe(byRecord.address);
  });

  it('MUST: readers ignore a dispense of a record that is not a prescription, or that names another patient', async () => {
    const lab = await add(doctor, LAB);
    await dispensePrescription(doctor.chain, { id: lab, patient: patient.address, slot: LAB });
    // Only a reader who knows the patient's prescription slot can tell (CONTRACT.md § Privacy).
    expect((await getRecord(patient.chain, lab, { prescriptionSlot: () => RX })).dispensed).toBeNull();
    const other = await f.patient();
    await grant(other.chain, { provider: doctor.address, readMask: 1 << RX, expiry: (await f.now()) + YEAR });
    const rx = await add(doctor, RX);
    await dispensePrescription(doctor.chain, { id: rx, patient: other.address, slot: RX });
    expect((await getRecord(patient.chain, rx)).dispensed).toBeNull();
    // …and such a slot in another patient's name blocks nothing of this patient's.
    await dispensePrescription(doctor.chain, { id: rx, patient: patient.address, slot: RX });
    expect((await getRecord(patient.chain, rx)).dispensed?.by).toBe(doctor.address);
  });
});

describe('dispensePrescription: the slot (issue 25, CONTRACT.md § Privacy)', () => {
  it('MUST: the grant must cover the slot named; naming a wrong slot for the record fills a slot no reader counts and blocks nothing', async () => {
    const rx = await add(doctor, RX);
    const labOnly = await f.provider();
    await grant(patient.chain, { provider: labOnly.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    // The prescription's own slot is not in its grant: refused.
    await expect(dispensePrescription(labOnly.chain, { id: rx, patient: patient.address, slot: RX })).rejects.toMatchObject({
      details: { contractError: 'NotGrantedPrescription' },
    });
    // Its lab slot is: the contract accepts (it cannot see the record's slot), readers ignore it…
    const wrong = await dispensePrescription(labOnly.chain, { id: rx, patient: patient.address, slot: LAB });
    expect((await getRecord(patient.chain, rx)).dispensed).toBeNull();
    const flagged = (await auditEvents(patient.chain, { patient: patient.address })).find((e) => e.txHash === wrong.txHash);
    expect(flagged?.flag).toBeTruthy();
    // …and the real dispense, naming the record's slot, still goes through once.
    const pharmacist = await f.provider();
    await grant(patient.chain, { provider: pharmacist.address, readMask: 1 << RX, expiry: (await f.now()) + YEAR });
    await dispensePrescription(pharmacist.chain, { id: rx, patient: patient.address, slot: RX });
    expect((await getRecord(patient.chain, rx)).dispensed?.by).toBe(pharmacist.address);
    expect(await dispensedOf(patient.chain, patient.address, rx, LAB)).toMatchObject({ by: labOnly.address });
    await expect(dispensePrescription(doctor.chain, { id: rx, patient: patient.address, slot: RX })).rejects.toMatchObject({
      details: { contractError: 'AlreadyDispensed' },
    });
  });

  it('MUST: a slot above 31 is refused', async () => {
    const rx = await add(doctor, RX);
    await expect(dispensePrescription(doctor.chain, { id: rx, patient: patient.address, slot: 32 })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('audit', () => {
  it('MUST: the audit trail carries who voided what and why, and flags a void or dispense readers ignore', async () => {
    const p = await f.patient();
    await grant(p.chain, { provider: doctor.address, readMask: 1 << RX, writeMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    const id = await add(doctor, LAB, p);
    const intruder = await f.provider();
    await voidRecord(intruder.chain, { id, patient: p.address, reason: 'grief' });
    await voidRecord(doctor.chain, { id, patient: p.address, reason: 'wrong chart' });
    await dispensePrescription(doctor.chain, { id, patient: p.address, slot: RX });
    const evs = (await auditEvents(p.chain, { patient: p.address })).filter(
      (e) => e.kind === 'RecordVoided' || e.kind === 'PrescriptionDispensed',
    );
    expect(evs.map((e) => [e.kind, e.actor, e.fields.reason ?? null, e.flag ?? null])).toEqual([
      ['RecordVoided', intruder.address, 'grief', 'the voider is neither its author nor its patient'],
      ['RecordVoided', doctor.address, 'wrong chart', null],
      ['PrescriptionDispensed', doctor.address, null, 'the record is not a prescription'],
    ]);
  });
});
