// CONTRACT.md § Erasure (issue 24 § 2): the tombstone, raw contract calls on anvil.
import { beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { erasedOf, eraseRecord } from '../../src/chain/erase-record.js';
import { getRecord, listRecords } from '../../src/chain/records.js';
import { rekeyRecord } from '../../src/chain/rekey-record.js';
import { AccessDeniedError, NotFoundError, UsageError } from '../../src/errors.js';
import { type Actor, type ChainWorld, chainWorld, digest } from '../helpers/world.js';

const NOTE = 0;
let f: ChainWorld;
let patient: Actor;
let n = 0x7000;
beforeAll(async () => {
  f = await chainWorld();
  patient = await f.patient();
});

const add = async (who: Actor = patient) =>
  (await addRecord(who.chain, { patient: who.address, recordType: NOTE, cidCodec: 0x55, digest: digest(n++) })).id;

describe('eraseRecord (CONTRACT.md § Erasure)', () => {
  it('MUST: the patient tombstones its record once: the event and erasedOf agree; a second is AlreadyErased (exit 7)', async () => {
    const id = await add();
    expect(await erasedOf(patient.chain, patient.address, id)).toBe(0);
    const sent = await eraseRecord(patient.chain, { id, sealedReason: 'emr-sealed-1:AAAA' });
    const rec = await getRecord(patient.chain, id);
    expect(rec.erased).toMatchObject({ by: patient.address, sealedReason: 'emr-sealed-1:AAAA', txHash: sent.txHash });
    expect(await erasedOf(patient.chain, patient.address, id)).toBe(rec.erased!.at);
    expect((await listRecords(patient.chain, { patient: patient.address })).find((r) => r.id === id)?.erased?.txHash).toBe(sent.txHash);
    await expect(eraseRecord(patient.chain, { id, sealedReason: '' })).rejects.toBeInstanceOf(NotFoundError);
    // Gas, for CONTRACT.md § Gas: one new slot and an event.
    expect(Number(sent.gasUsed)).toBeLessThanOrEqual(60_000);
  });

  it('MUST: readers ignore a tombstone by another patient, which lands under its own address and blocks nothing', async () => {
    const id = await add();
    const other = await f.patient();
    await eraseRecord(other.chain, { id, sealedReason: '' });
    expect((await getRecord(patient.chain, id)).erased).toBeNull();
    expect(await erasedOf(patient.chain, patient.address, id)).toBe(0);
    expect(await erasedOf(patient.chain, other.address, id)).toBeGreaterThan(0);
    await eraseRecord(patient.chain, { id, sealedReason: '' });
    expect((await getRecord(patient.chain, id)).erased?.by).toBe(patient.address);
  });

  it('MUST: a provider, or an account with no role, cannot erase (NotPatient); an unknown id is refused', async () => {
    const id = await add();
    const doctor = await f.provider();
    await expect(eraseRecord(doctor.chain, { id, sealedReason: '' })).rejects.toBeInstanceOf(AccessDeniedError);
    const nobody = await f.actor();
    await expect(eraseRecord(nobody.chain, { id, sealedReason: '' })).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(eraseRecord(patient.chain, { id: 10_000_000n, sealedReason: '' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(eraseRecord(patient.chain, { id, sealedReason: 'x'.repeat(4097) })).rejects.toBeInstanceOf(UsageError);
  });

  it('keeps every ciphertext the record had (pastCids) for the erasure to remove', async () => {
    const id = await add();
    const first = (await getRecord(patient.chain, id)).cid;
    await rekeyRecord(patient.chain, { id, cidCodec: 0x55, digest: digest(n++) });
    await rekeyRecord(patient.chain, { id, cidCodec: 0x55, digest: digest(n++) });
    const rec = await getRecord(patient.chain, id);
    expect(rec.pastCids).toHaveLength(2);
    expect(rec.pastCids[0]).toBe(first);
    expect(new Set([...rec.pastCids, rec.cid]).size).toBe(3);
  });
});
