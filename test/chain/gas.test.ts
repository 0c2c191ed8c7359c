// Gas ceilings (docs/CONTRACT.md § Gas), measured from real receipts on anvil. Gas is
// deterministic for a given state, so these are exact regressions guards, not timings.
// Ceilings: grant ≤ 60k, revoke ≤ 30k, add ≤ 50k, ≤ 10k per record in a batch (issue 8);
// logAccess as low as its check allows (issue 11 goal 7: see CONTRACT.md § Gas for why
// 25k cannot be reached while the contract checks the reader).
import { beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { addRecords } from '../../src/chain/add-records.js';
import { dispensePrescription } from '../../src/chain/dispense-prescription.js';
import { grant } from '../../src/chain/grant.js';
import { logAccess } from '../../src/chain/log-access.js';
import { addOrgMember, createOrg, grantOrg, logAccessVia, removeOrgMember, revokeOrg } from '../../src/chain/org.js';
import { revoke } from '../../src/chain/revoke.js';
import { voidRecord } from '../../src/chain/void-record.js';
import { type Actor, type ChainWorld, chainWorld, digest } from '../helpers/world.js';

const YEAR = 365 * 86400;
const LAB = 1;
let f: ChainWorld;
beforeAll(async () => {
  f = await chainWorld();
});

describe('gas ceilings (CONTRACT.md § Gas)', () => {
  it('logAccess by a type grantee ≤ 31,800 gas: a live grant implies a registered patient, so its account is not read (issue 11 goal 7)', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    const { id } = await addRecord(p.chain, { patient: p.address, recordType: LAB, cidCodec: 0x55, digest: digest(1) });
    await grant(p.chain, { provider: doc.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    const sent = await logAccess(doc.chain, { recordId: id, patient: p.address, recordType: LAB });
    expect(Number(sent.gasUsed)).toBeLessThanOrEqual(31_800);
  });

  it('grant ≤ 60k, revoke ≤ 30k, addRecord by a provider ≤ 50k, addRecords ≤ 10k per record over 20 patients', async () => {
    const doc = await f.provider();
    const patients: Actor[] = [];
    for (let i = 0; i < 20; i++) patients.push(await f.patient());
    const expiry = (await f.now()) + YEAR;
    const g = await grant(patients[0]!.chain, { provider: doc.address, readMask: 1 << LAB, writeMask: 1 << LAB, expiry });
    expect(Number(g.gasUsed)).toBeLessThanOrEqual(60_000);
    for (const p of patients.slice(1)) await grant(p.chain, { provider: doc.address, readMask: 0, writeMask: 1 << LAB, expiry });
    const one = await addRecord(doc.chain, { patient: patients[0]!.address, recordType: LAB, cidCodec: 0x55, digest: digest(2) });
    expect(Number(one.gasUsed)).toBeLessThanOrEqual(50_000);
    const records = Array.from({ length: 100 }, (_, i) => ({
      patient: patients[Math.floor(i / 5)]!.address,
      recordType: LAB,
      cidCodec: 0x55,
      digest: digest(100 + i),
    }));
    const many = await addRecords(doc.chain, { records });
    expect(many.ids).toHaveLength(100);
    expect(Number(many.gasUsed) / 100).toBeLessThanOrEqual(10_000);
    const r = await revoke(patients[0]!.chain, { provider: doc.address });
    expect(Number(r.gasUsed)).toBeLessThanOrEqual(30_000);
  });

  it('voidRecord ≤ 32k (an event, no storage) and dispensePrescription ≤ 56k (one new slot): CONTRACT.md § Void and dispense', async () => {
    const p = await f.patient();
    const pharmacist = await f.provider();
    const { id } = await addRecord(p.chain, { patient: p.address, recordType: 3, cidCodec: 0x55, digest: digest(7) });
    await grant(p.chain, { provider: pharmacist.address, readMask: 1 << 3, expiry: (await f.now()) + YEAR });
    const d = await dispensePrescription(pharmacist.chain, { id, patient: p.address, slot: 3 });
    expect(Number(d.gasUsed)).toBeLessThanOrEqual(56_000);
    const v = await voidRecord(p.chain, { id, patient: p.address, reason: 'entered wrong' });
    expect(Number(v.gasUsed)).toBeLessThanOrEqual(32_000);
  });

  it('organisations (CONTRACT.md § Organisations): grantOrg ≤ 60k and revokeOrg ≤ 30k whatever the org’s size; logAccessVia flat in members and grants', async () => {
    const orgAdmin = await f.provider();
    const expiry = (await f.now()) + YEAR;
    const gas: Record<string, number[]> = {};
    const note = (k: string, g: bigint) => (gas[k] ??= []).push(Number(g));
    for (const size of [1, 12]) {
      const c = await createOrg(f.admin.chain, { name: `Gas Hospital ${size}`, admins: [orgAdmin.address] });
      note('createOrg', c.gasUsed);
      const members: Actor[] = [];
      for (let i = 0; i < size; i++) {
        const m = await f.provider();
        members.push(m);
        note('addOrgMember', (await addOrgMember(orgAdmin.chain, { org: c.org, provider: m.address, department: 'ward 3' })).gasUsed);
      }
      const p = await f.patient();
      // Other grants of the patient must not matter either.
      for (let i = 0; i < size - 1; i++) await grant(p.chain, { provider: members[i]!.address, readMask: 1 << 5, expiry });
      const { id } = await addRecord(p.chain, { patient: p.address, recordType: LAB, cidCodec: 0x55, digest: digest(9000 + size) });
      const g = await grantOrg(p.chain, { org: c.org, readMask: 1 << LAB, expiry });
      note('grantOrg', g.gasUsed);
      const last = members[size - 1]!;
      const via = await logAccessVia(last.chain, { recordId: id, patient: p.address, recordType: LAB, org: c.org });
      note('logAccessVia', via.gasUsed);
      // The patient's address is random and its zero bytes are cheaper calldata (4 gas, not
      // 16): "flat" is judged on the gas less the calldata's cost (it failed ~1 run in 13).
      note('logAccessVia execution', via.gasUsed - (await calldataGas(p.chain, via.txHash)));
      note('removeOrgMember', (await removeOrgMember(orgAdmin.chain, { org: c.org, provider: last.address })).gasUsed);
      note('revokeOrg', (await revokeOrg(p.chain, { org: c.org })).gasUsed);
    }
    expect(gas.grantOrg![0]).toBeLessThanOrEqual(60_000);
    expect(gas.grantOrg![1]).toBe(gas.grantOrg![0]);
    expect(gas.revokeOrg![0]).toBeLessThanOrEqual(30_000);
    expect(gas.revokeOrg![1]).toBe(gas.revokeOrg![0]);
    expect(gas['logAccessVia execution']![1]).toBe(gas['logAccessVia execution']![0]);
    expect(gas.logAccessVia![0]).toBeLessThanOrEqual(40_000);
    expect(Math.max(...gas.addOrgMember!)).toBeLessThanOrEqual(60_000);
    expect(Math.max(...gas.removeOrgMember!)).toBeLessThanOrEqual(35_000);
    expect(Math.max(...gas.createOrg!)).toBeLessThanOrEqual(140_000);
    process.stdout.write(`org gas: ${JSON.stringify(Object.fromEntries(Object.entries(gas).map(([k, v]) => [k, Math.max(...v)])))}\n`);
  });
});

/** The calldata part of a transaction's intrinsic gas (EIP-2028: 4 per zero byte, 16 per other). */
async function calldataGas(
  chain: { provider: { getTransaction(h: string): Promise<{ data: string } | null> } },
  txHash: string,
): Promise<bigint> {
  const tx = await chain.provider.getTransaction(txHash);
  const bytes = Buffer.from(tx!.data.slice(2), 'hex');
  let g = 0n;
  for (const b of bytes) g += b === 0 ? 4n : 16n;
  return g;
}
