// Issue #8 (hostile participants), contract side, by raw contract calls on anvil:
// each test fails on the contract before the fix.
import { ZeroAddress } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { addAdmin } from '../../src/chain/add-admin.js';
import { addRecord } from '../../src/chain/add-record.js';
import { auditEvents } from '../../src/chain/audit.js';
import { grant } from '../../src/chain/grant.js';
import { canRead } from '../../src/chain/grants.js';
import { logAccess } from '../../src/chain/log-access.js';
import { openEmergency } from '../../src/chain/open-emergency.js';
import { register } from '../../src/chain/register.js';
import { releaseEmergencyKeys } from '../../src/chain/release-emergency-keys.js';
import { removeAdmin } from '../../src/chain/remove-admin.js';
import { requestAccess } from '../../src/chain/request-access.js';
import { revoke } from '../../src/chain/revoke.js';
import { setEmergencyTypes } from '../../src/chain/set-emergency-types.js';
import { type ActionBody, currentEpoch, nextNonce, relaySigned, signAction } from '../../src/chain/signed-actions.js';
import { suspendProvider } from '../../src/chain/suspend-provider.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { type Actor, type ChainWorld, chainWorld, digest, X25519_RECIPIENT } from '../helpers/world.js';

const YEAR = 365 * 86400;
const NOTE = 0;
const LAB = 1;
let f: ChainWorld;
beforeAll(async () => {
  f = await chainWorld();
});

async function signed(patient: Actor, action: ActionBody, provider: string) {
  return signAction(patient.wallet, {
    chainId: f.chainId,
    contract: f.contract,
    nonce: await nextNonce(patient.chain, patient.address),
    deadline: (await f.now()) + 3600,
    epoch: await currentEpoch(patient.chain, patient.address, provider),
    action,
  });
}

describe('issue #8 point 2: a revoke voids outstanding signatures', () => {
  it('a grant signed offline, then revoked, cannot be relayed (StaleEpoch); access stays off', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    const relayer = await f.actor();
    const g = await signed(p, { kind: 'grant', provider: doc.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR }, doc.address);
    await revoke(p.chain, { provider: doc.address });
    await expect(relaySigned(relayer.chain, g)).rejects.toMatchObject({ code: 'ACCESS_DENIED', details: { contractError: 'StaleEpoch' } });
    expect(await canRead(doc.chain, { reader: doc.address, patient: p.address, recordType: LAB })).toBe(false);
    // A grant signed after the revoke is good.
    await relaySigned(
      relayer.chain,
      await signed(p, { kind: 'grant', provider: doc.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR }, doc.address),
    );
    expect(await canRead(doc.chain, { reader: doc.address, patient: p.address, recordType: LAB })).toBe(true);
  });

  it('an approval signed offline, then the provider revoked, cannot be relayed', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    const { requestId } = await requestAccess(doc.chain, { patient: p.address, readMask: 1 << LAB });
    const a = await signed(p, { kind: 'approve', requestId, expiry: (await f.now()) + YEAR }, doc.address);
    await revoke(p.chain, { provider: doc.address });
    await expect(relaySigned(doc.chain, a)).rejects.toMatchObject({ details: { contractError: 'StaleEpoch' } });
    expect(await canRead(doc.chain, { reader: doc.address, patient: p.address, recordType: LAB })).toBe(false);
  });
});

describe('issue #8 point 3: only well-formed recipients can be registered', () => {
  it('refuses garbage, wrong prefixes, wrong lengths, upper case and non-bech32 characters', async () => {
    const a = await f.actor();
    const call = (r: string) => a.chain.contract.getFunction('register').staticCall(2, r, { from: a.address });
    const pq = generateIdentity('mlkem768x25519').recipient;
    expect(pq.length).toBe(1959);
    for (const bad of [
      'x'.repeat(62),
      `age2${X25519_RECIPIENT.slice(4)}`,
      X25519_RECIPIENT.slice(0, 61),
      `${X25519_RECIPIENT}q`,
      X25519_RECIPIENT.toUpperCase(),
      `${X25519_RECIPIENT.slice(0, 20)}b${X25519_RECIPIENT.slice(21)}`, // 'b' is not in the bech32 charset
      `${X25519_RECIPIENT.slice(0, 20)}\u001b${X25519_RECIPIENT.slice(21)}`,
      `age1pq1${'q'.repeat(1951)}`,
      `age1xx1${'q'.repeat(1952)}`,
      `${pq.slice(0, 1000)}i${pq.slice(1001)}`,
    ]) {
      await expect(call(bad), bad.slice(0, 30)).rejects.toMatchObject({ revert: { name: 'InvalidRecipient' } });
    }
    for (const good of [X25519_RECIPIENT, generateIdentity().recipient, pq]) await call(good);
  });

  it('accepts exactly the bech32 data characters, at every lane of a 32-byte word and at the tail', async () => {
    const a = await f.actor();
    const accepts = (r: string) =>
      a.chain.contract
        .getFunction('register')
        .staticCall(2, r, { from: a.address })
        .then(
          () => true,
          (e) => {
            if (e?.revert?.name !== 'InvalidRecipient') throw e;
            return false;
          },
        );
    const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    const pq = generateIdentity('mlkem768x25519').recipient;
    const cases: Array<[string, boolean]> = [];
    for (const [base, positions] of [
      [X25519_RECIPIENT, [4, 31, 32, 35, 61]],
      [pq, [7, 63, 64, 1958]],
    ] as const) {
      for (const pos of positions) {
        for (let c = 0; c < 128; c++)
          cases.push([base.slice(0, pos) + String.fromCharCode(c) + base.slice(pos + 1), CHARSET.includes(String.fromCharCode(c))]);
        // A 2-byte UTF-8 character in place of two: right length, bytes ≥ 0x80.
        cases.push([base.slice(0, pos - 1) + 'é' + base.slice(pos + 1), false]);
      }
    }
    for (let i = 0; i < cases.length; i += 64) {
      const chunk = cases.slice(i, i + 64);
      const got = await Promise.all(chunk.map(([r]) => accepts(r)));
      chunk.forEach(([r, want], j) =>
        expect(got[j], JSON.stringify(r.slice(0, 8)) + ` len ${Buffer.byteLength(r)} case ${i + j}`).toBe(want),
      );
    }
  });

  it('the consortium emergency recipient obeys the same rule', async () => {
    await expect(
      f.admin.chain.contract.getFunction('setEmergencyRecipient').staticCall('age1garbage', { from: f.admin.address }),
    ).rejects.toMatchObject({ revert: { name: 'InvalidRecipient' } });
  });
});

describe('issue #8 point 9: forged read receipts are flagged, never shown as reads', () => {
  it('a receipt naming another type or another patient’s record is flagged in the audit', async () => {
    const p = await f.patient();
    const q = await f.patient();
    const spy = await f.provider();
    const note = await addRecord(p.chain, { patient: p.address, recordType: NOTE, cidCodec: 0x55, digest: digest(1) });
    const lab = await addRecord(p.chain, { patient: p.address, recordType: LAB, cidCodec: 0x55, digest: digest(2) });
    const qNote = await addRecord(q.chain, { patient: q.address, recordType: NOTE, cidCodec: 0x55, digest: digest(3) });
    await grant(p.chain, { provider: spy.address, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    // The spy may read p's labs only. It logs the note (claiming lab) and q's note (claiming p).
    await logAccess(spy.chain, { recordId: note.id, patient: p.address, recordType: LAB });
    await logAccess(spy.chain, { recordId: qNote.id, patient: p.address, recordType: LAB });
    await logAccess(spy.chain, { recordId: lab.id, patient: p.address, recordType: LAB });
    const receipts = (await auditEvents(p.chain, { patient: p.address })).filter((e) => e.kind === 'RecordAccessed');
    expect(receipts.map((e) => [Number(e.fields.recordId), e.flag ?? null])).toEqual([
      [Number(note.id), expect.stringContaining('type')],
      [Number(qNote.id), expect.stringContaining('another patient')],
      [Number(lab.id), null],
    ]);
    expect(receipts[2]!.fields.recordType).toBe(LAB);
  });
});

describe('issue #8 point 15: no zero-address admin; the last admin stays', () => {
  it('addAdmin(0) is refused by the contract, so the last real admin cannot remove itself', async () => {
    await expect(f.admin.chain.contract.getFunction('addAdmin').staticCall(ZeroAddress, { from: f.admin.address })).rejects.toMatchObject({
      revert: { name: 'ZeroAddress' },
    });
    await expect(addAdmin(f.admin.chain, { account: ZeroAddress })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(removeAdmin(f.admin.chain, { account: f.admin.address })).rejects.toMatchObject({
      details: { contractError: 'LastAdmin' },
    });
  });
});

describe('issue #8 design points: emergency', () => {
  it('a provider cannot reopen an emergency right after the patient closed it; another provider can', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    const other = await f.provider();
    await setEmergencyTypes(p.chain, { mask: 1 << LAB });
    await openEmergency(doc.chain, { patient: p.address, reason: 'unconscious' });
    await revoke(p.chain, { provider: doc.address });
    await expect(openEmergency(doc.chain, { patient: p.address, reason: 'again' })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'EmergencyClosedByPatient' },
    });
    expect(await canRead(doc.chain, { reader: doc.address, patient: p.address, recordType: LAB })).toBe(false);
    await openEmergency(other.chain, { patient: p.address, reason: 'ER admission' });
  });

  it('an admin cannot release emergency keys to a provider suspended after opening', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    await setEmergencyTypes(p.chain, { mask: 1 << LAB });
    await openEmergency(doc.chain, { patient: p.address, reason: 'unconscious' });
    await suspendProvider(f.admin.chain, { provider: doc.address });
    await expect(
      releaseEmergencyKeys(f.admin.chain, { patient: p.address, provider: doc.address, keyDelivery: digest(7) }),
    ).rejects.toMatchObject({ details: { contractError: 'SuspendedProvider' } });
  });
});

it('registering a recipient of the right shape still works for rotation', async () => {
  const a = await f.actor();
  await register(a.chain, { role: 'patient', recipient: X25519_RECIPIENT });
  await register(a.chain, { role: 'patient', recipient: generateIdentity().recipient });
});
