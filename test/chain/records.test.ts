import { beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { addRecords, packRecords } from '../../src/chain/add-records.js';
import { cidToParts, partsToCid } from '../../src/chain/cid.js';
import { grant } from '../../src/chain/grant.js';
import { getRecord, listRecords } from '../../src/chain/records.js';
import { rekeyRecord } from '../../src/chain/rekey-record.js';
import { send } from '../../src/chain/send.js';
import { suspendProvider } from '../../src/chain/suspend-provider.js';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { type Actor, type ChainWorld, chainWorld, digest } from '../helpers/world.js';

const LAB = 1;
const NOTE = 0;
const RAW_CID = partsToCid({ cidCodec: 0x55, digest: digest(0xabc) });

let f: ChainWorld;
let patient: Actor;
let doctor: Actor;
beforeAll(async () => {
  f = await chainWorld();
  patient = await f.patient();
  doctor = await f.provider();
  await grant(patient.chain, {
    provider: doctor.address,
    readMask: 1 << LAB,
    writeMask: 1 << LAB,
    expiry: (await f.now()) + 10 * 365 * 86400,
  });
});

describe('CID parts', () => {
  it('round-trips CIDv1 raw and dag-pb and refuses others', () => {
    expect(cidToParts(RAW_CID)).toEqual({ cidCodec: 0x55, digest: digest(0xabc) });
    const pb = partsToCid({ cidCodec: 0x70, digest: digest(7) });
    expect(cidToParts(pb).cidCodec).toBe(0x70);
    expect(() => cidToParts('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG')).toThrow(UsageError); // CIDv0
    expect(() => cidToParts('not-a-cid')).toThrow(UsageError);
  });
});

describe('addRecord', () => {
  it('the patient and a granted verified provider add; the event carries every field', async () => {
    const own = await addRecord(patient.chain, { patient: patient.address, recordType: NOTE, cid: RAW_CID });
    const byDoctor = await addRecord(doctor.chain, { patient: patient.address, recordType: LAB, cidCodec: 0x70, digest: digest(2) });
    expect(byDoctor.id).toBe(own.id + 1n);
    const rec = await getRecord(doctor.chain, byDoctor.id);
    expect(rec).toMatchObject({
      id: byDoctor.id,
      patient: patient.address,
      author: doctor.address,
      recordType: LAB,
      cidCodec: 0x70,
      digest: digest(2),
      originalCid: null,
      txHash: byDoctor.txHash,
    });
    expect(rec.cid).toBe(partsToCid({ cidCodec: 0x70, digest: digest(2) }));
    expect(rec.createdAt).toBeGreaterThan(1_600_000_000);
    expect((await getRecord(patient.chain, own.id)).cid).toBe(RAW_CID);
  });

  it('refuses unverified, suspended, ungranted-type, unregistered and stranger authors', async () => {
    const unverified = await f.provider({ verified: false });
    await grant(patient.chain, { provider: unverified.address, readMask: 0, writeMask: 1 << LAB, expiry: (await f.now()) + 86400 });
    await expect(addRecord(unverified.chain, { patient: patient.address, recordType: LAB, cid: RAW_CID })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'ProviderNotVerified' },
    });

    const suspended = await f.provider();
    await grant(patient.chain, { provider: suspended.address, readMask: 0, writeMask: 1 << LAB, expiry: (await f.now()) + 86400 });
    await addRecord(suspended.chain, { patient: patient.address, recordType: LAB, cid: RAW_CID });
    await suspendProvider(f.admin.chain, { provider: suspended.address });
    await expect(addRecord(suspended.chain, { patient: patient.address, recordType: LAB, cid: RAW_CID })).rejects.toMatchObject({
      details: { contractError: 'SuspendedProvider' },
    });

    await expect(addRecord(doctor.chain, { patient: patient.address, recordType: NOTE, cid: RAW_CID })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'NotAuthorized' },
    });
    const ungranted = await f.provider();
    await expect(addRecord(ungranted.chain, { patient: patient.address, recordType: LAB, cid: RAW_CID })).rejects.toMatchObject({
      details: { contractError: 'NotAuthorized' },
    });
    const otherPatient = await f.patient();
    await expect(addRecord(otherPatient.chain, { patient: patient.address, recordType: LAB, cid: RAW_CID })).rejects.toMatchObject({
      details: { contractError: 'NotProvider' },
    });
    const nobody = await f.actor();
    await expect(addRecord(doctor.chain, { patient: nobody.address, recordType: LAB, cid: RAW_CID })).rejects.toMatchObject({
      details: { contractError: 'NotPatient' },
    });
  });

  it('refuses bad codec, zero digest and type > 31 on chain', async () => {
    const fn = patient.chain.contract.getFunction('addRecord');
    await expect(fn.staticCall(patient.address, 0, 0x71, digest(1), { from: patient.address })).rejects.toMatchObject({
      revert: { name: 'InvalidCodec' },
    });
    await expect(fn.staticCall(patient.address, 0, 0x55, digest(0), { from: patient.address })).rejects.toMatchObject({
      revert: { name: 'InvalidDigest' },
    });
    await expect(fn.staticCall(patient.address, 32, 0x55, digest(1), { from: patient.address })).rejects.toMatchObject({
      revert: { name: 'InvalidRecordType' },
    });
    await expect(addRecord(patient.chain, { patient: patient.address, recordType: 32, cid: RAW_CID })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('addRecords (batch)', () => {
  it('adds 100 records with consecutive ids, across patients, in one transaction', async () => {
    const second = await f.patient();
    await grant(second.chain, { provider: doctor.address, readMask: 0, writeMask: 1 << LAB, expiry: (await f.now()) + 86400 });
    const records = Array.from({ length: 100 }, (_, i) => ({
      patient: i < 60 ? patient.address : second.address,
      recordType: LAB,
      cidCodec: i % 2 ? 0x55 : 0x70,
      digest: digest(1000 + i),
    }));
    const res = await addRecords(doctor.chain, { records });
    expect(res.ids).toHaveLength(100);
    expect(res.ids.every((id, i) => id === res.ids[0]! + BigInt(i))).toBe(true);
    const listed = await listRecords(doctor.chain, { patient: second.address });
    expect(listed.map((r) => r.digest)).toEqual(records.slice(60).map((r) => r.digest));
    expect(listed.every((r) => r.author === doctor.address && r.txHash === res.txHash)).toBe(true);
  });

  it('one unauthorised entry reverts the whole batch; malformed packing is refused', async () => {
    const stranger = await f.patient(); // no grant to doctor
    const before = (await listRecords(doctor.chain)).length;
    await expect(
      addRecords(doctor.chain, {
        records: [
          { patient: patient.address, recordType: LAB, cid: RAW_CID },
          { patient: stranger.address, recordType: LAB, cid: RAW_CID },
        ],
      }),
    ).rejects.toMatchObject({ details: { contractError: 'NotAuthorized' } });
    expect((await listRecords(doctor.chain)).length).toBe(before);
    const packed = packRecords([{ patient: patient.address, recordType: LAB, cid: RAW_CID }]);
    await expect(send(doctor.chain, 'addRecords', [packed.slice(0, -2)])).rejects.toMatchObject({ details: { contractError: 'BadBatch' } });
    await expect(send(doctor.chain, 'addRecords', ['0x'])).rejects.toMatchObject({ details: { contractError: 'BadBatch' } });
  });
});

describe('rekeyRecord', () => {
  it('the patient re-keys; a rekey by anyone else is ignored by readers', async () => {
    const { id } = await addRecord(doctor.chain, { patient: patient.address, recordType: LAB, cid: RAW_CID });
    const intruder = await f.patient();
    await rekeyRecord(intruder.chain, { id, cidCodec: 0x55, digest: digest(666) }); // allowed on chain, ignored off chain
    expect((await getRecord(patient.chain, id)).cid).toBe(RAW_CID);
    await rekeyRecord(patient.chain, { id, cidCodec: 0x70, digest: digest(777) });
    const rec = await getRecord(patient.chain, id);
    expect(rec).toMatchObject({ cidCodec: 0x70, digest: digest(777), originalCid: RAW_CID, rekeyCount: 1 });
    const listed = (await listRecords(patient.chain, { patient: patient.address })).find((r) => r.id === id);
    expect(listed?.digest).toBe(digest(777));
    await expect(rekeyRecord(doctor.chain, { id, cid: RAW_CID })).rejects.toMatchObject({ details: { contractError: 'NotPatient' } });
    await expect(rekeyRecord(patient.chain, { id: 10n ** 9n, cid: RAW_CID })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('getRecord of an unknown id is NOT_FOUND', async () => {
    await expect(getRecord(patient.chain, 999_999)).rejects.toBeInstanceOf(NotFoundError);
  });
});
