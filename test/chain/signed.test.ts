import type { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { approveRequest } from '../../src/chain/approve-request.js';
import { grant } from '../../src/chain/grant.js';
import { grantRecords } from '../../src/chain/grant-records.js';
import { canRead } from '../../src/chain/grants.js';
import { requestAccess } from '../../src/chain/request-access.js';
import { listRequests } from '../../src/chain/requests.js';
import { type ActionBody, currentEpoch, nextNonce, relaySigned, revokeTerms, signAction } from '../../src/chain/signed-actions.js';
import { AccessDeniedError, IntegrityError } from '../../src/errors.js';
import { type Actor, type ChainWorld, chainWorld, digest } from '../helpers/world.js';

const YEAR = 365 * 86400;
let f: ChainWorld;
let patient: Actor;
let doc: Actor;
let relayer: Actor;

beforeAll(async () => {
  f = await chainWorld();
  patient = await f.patient();
  doc = await f.provider();
  relayer = await f.actor(); // unregistered: anyone may relay
});

async function sign(
  action: ActionBody,
  over: { signer?: Wallet; chainId?: bigint; contract?: string; nonce?: bigint; deadline?: number } = {},
) {
  const signer = over.signer ?? patient.wallet;
  return signAction(signer, {
    chainId: over.chainId ?? f.chainId,
    contract: over.contract ?? f.contract,
    nonce: over.nonce ?? (await nextNonce(relayer.chain, signer.address)),
    epoch: await currentEpoch(relayer.chain, signer.address, doc.address),
    deadline: over.deadline ?? (await f.now()) + 3600,
    action,
  });
}

const reads = () => canRead(doc.chain, { reader: doc.address, patient: patient.address, recordType: 1 });

/** A revoke of `provider` as the patient would sign it now (issue 20 point 2: the slot's terms, no nonce). */
async function revokeOf(provider: string, who: Actor = patient): Promise<ActionBody> {
  return { kind: 'revoke', provider, ...(await revokeTerms(relayer.chain, who.address, provider)) };
}

describe('signed actions (EIP-712, relayed)', () => {
  it('grant and revoke signed offline by the patient, relayed by a stranger', async () => {
    const g = await sign({ kind: 'grant', provider: doc.address, readMask: 2, expiry: (await f.now()) + YEAR });
    expect(JSON.parse(JSON.stringify(g))).toEqual(g); // travels as JSON
    await relaySigned(relayer.chain, g);
    expect(await reads()).toBe(true);
    const r = await sign(await revokeOf(doc.address));
    await relaySigned(relayer.chain, r);
    expect(await reads()).toBe(false);
    // A signed revoke spends no nonce (issue 20 point 2).
    expect(await nextNonce(relayer.chain, patient.address)).toBe(1n);
    // Replayed, it is stale: it bumped the epoch it names.
    await expect(relaySigned(relayer.chain, r)).rejects.toMatchObject({ details: { contractError: 'StaleEpoch' } });
  });

  it('a replayed signature is refused', async () => {
    const g = await sign({ kind: 'grant', provider: doc.address, readMask: 2, expiry: (await f.now()) + YEAR });
    await relaySigned(relayer.chain, g);
    await expect(relaySigned(relayer.chain, g)).rejects.toMatchObject({ code: 'ACCESS_DENIED', details: { contractError: 'BadNonce' } });
  });

  it('an expired signature is refused', async () => {
    const g = await sign(await revokeOf(doc.address), { deadline: (await f.now()) - 1 });
    await expect(relaySigned(relayer.chain, g)).rejects.toMatchObject({ details: { contractError: 'SignatureExpired' } });
    await expect(relaySigned(relayer.chain, g)).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('wrong chain, other contract, someone else’s signature and tampered fields are refused', async () => {
    const action: ActionBody = { kind: 'grant', provider: doc.address, readMask: 1, expiry: (await f.now()) + YEAR };
    const wrongChain = await sign(action, { chainId: f.chainId + 1n });
    const otherContract = await sign(action, { contract: doc.address });
    // Patient B signs a grant naming patient A's slot? B's address is the signer, so the
    // message says patient=B; relabelling it as A must fail.
    const other = await f.patient();
    const forged = await sign(action, { signer: other.wallet, nonce: await nextNonce(relayer.chain, patient.address) });
    forged.message.patient = patient.address;
    const tampered = await sign(action);
    tampered.message.readMask = 0xffff;
    for (const s of [wrongChain, otherContract, forged, tampered]) {
      await expect(relaySigned(relayer.chain, s)).rejects.toBeInstanceOf(IntegrityError);
    }
    const malleable = await sign(action);
    malleable.signature = `${malleable.signature.slice(0, 130)}1d`; // v = 29
    await expect(relaySigned(relayer.chain, malleable)).rejects.toMatchObject({ details: { contractError: 'InvalidSignature' } });
  });

  it('a relayed message whose field is not its ABI type is a usage error naming the field, before any gas (relaySigned)', async () => {
    const good = await sign({ kind: 'grant', provider: doc.address, readMask: 2, expiry: (await f.now()) + YEAR });
    const bad: [string, unknown][] = [
      ['nonce', 'lots'],
      ['deadline', -1],
      ['readMask', 2 ** 32],
      ['provider', '0x1234'],
      ['keyDelivery', 7],
      ['patient', undefined],
    ];
    for (const [field, value] of bad) {
      const s = JSON.parse(JSON.stringify({ ...good, message: { ...good.message, [field]: value } }));
      await expect(relaySigned(relayer.chain, s), field).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(field) });
    }
    await expect(relaySigned(relayer.chain, { ...good, signature: 'not hex' }), 'signature').rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('signature'),
    });
    // Nothing was sent: the signed nonce is still the next one.
    expect(await nextNonce(relayer.chain, patient.address)).toBe(BigInt(String(good.message.nonce)));
  });

  it('approve and deny by signature; only the request’s patient can sign them', async () => {
    const a = await requestAccess(doc.chain, { patient: patient.address, readMask: 1 << 3 });
    const d = await requestAccess(doc.chain, { patient: patient.address, readMask: 1 << 4 });
    const other = await f.patient();
    const wrong = await sign({ kind: 'approve', requestId: a.requestId, expiry: (await f.now()) + YEAR }, { signer: other.wallet });
    await expect(relaySigned(relayer.chain, wrong)).rejects.toMatchObject({ details: { contractError: 'UnknownRequest' } });
    await relaySigned(relayer.chain, await sign({ kind: 'approve', requestId: a.requestId, expiry: (await f.now()) + YEAR }));
    await relaySigned(relayer.chain, await sign({ kind: 'deny', requestId: d.requestId }));
    const states = Object.fromEntries(
      (await listRequests(patient.chain, { patient: patient.address })).map((r) => [String(r.requestId), r.state]),
    );
    expect(states).toEqual({ [String(a.requestId)]: 'approved', [String(d.requestId)]: 'denied' });
  });
});

describe('issue 20 point 2: a signed revoke no grantee can cancel (CONTRACT.md § Signed actions)', () => {
  it('MUST win over a grant signed before it, relayed first: the grantee relaying the grant no longer spends the revoke (was BadNonce)', async () => {
    const p = await f.patient();
    const d = await f.provider();
    const g = await sign({ kind: 'grant', provider: d.address, readMask: 2, expiry: (await f.now()) + YEAR }, { signer: p.wallet });
    const r = await sign(await revokeOf(d.address, p), { signer: p.wallet });
    await relaySigned(d.chain, g);
    expect(await canRead(d.chain, { reader: d.address, patient: p.address, recordType: 1 })).toBe(true);
    await relaySigned(relayer.chain, r);
    expect(await canRead(d.chain, { reader: d.address, patient: p.address, recordType: 1 })).toBe(false);
  });

  it('MUST win over a grant signed before it, relayed after: the grant is stale', async () => {
    const p = await f.patient();
    const d = await f.provider();
    const g = await sign({ kind: 'grant', provider: d.address, readMask: 2, expiry: (await f.now()) + YEAR }, { signer: p.wallet });
    const r = await sign(await revokeOf(d.address, p), { signer: p.wallet });
    await relaySigned(relayer.chain, r);
    await expect(relaySigned(d.chain, g)).rejects.toMatchObject({ details: { contractError: 'StaleEpoch' } });
    expect(await canRead(d.chain, { reader: d.address, patient: p.address, recordType: 1 })).toBe(false);
  });

  it('MUST NOT cancel a grant, record grant or approval the patient sent directly after signing it', async () => {
    const p = await f.patient();
    const d = await f.provider();
    const expiry = (await f.now()) + YEAR;
    // A type grant sent after the revoke was signed.
    const r1 = await sign(await revokeOf(d.address, p), { signer: p.wallet });
    await grant(p.chain, { provider: d.address, readMask: 2, expiry });
    await expect(relaySigned(relayer.chain, r1)).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'RevokeSuperseded' },
    });
    expect(await canRead(d.chain, { reader: d.address, patient: p.address, recordType: 1 })).toBe(true);
    // A record grant sent after the revoke was signed.
    const { id } = await addRecord(p.chain, { patient: p.address, recordType: 3, cidCodec: 0x55, digest: digest(7) });
    const r2 = await sign(await revokeOf(d.address, p), { signer: p.wallet });
    await grantRecords(p.chain, { provider: d.address, ids: [id], expiry });
    await expect(relaySigned(relayer.chain, r2)).rejects.toMatchObject({ details: { contractError: 'RevokeSuperseded' } });
    expect(await canRead(d.chain, { reader: d.address, patient: p.address, recordType: 3, recordId: id })).toBe(true);
    // An approval sent after the revoke was signed.
    const req = await requestAccess(d.chain, { patient: p.address, readMask: 1 << 4 });
    const r3 = await sign(await revokeOf(d.address, p), { signer: p.wallet });
    await approveRequest(p.chain, { requestId: req.requestId, expiry, keyDelivery: `0x${'00'.repeat(32)}` });
    await expect(relaySigned(relayer.chain, r3)).rejects.toMatchObject({ details: { contractError: 'RevokeSuperseded' } });
    // A revoke signed after all of them applies.
    await relaySigned(relayer.chain, await sign(await revokeOf(d.address, p), { signer: p.wallet }));
    expect(await canRead(d.chain, { reader: d.address, patient: p.address, recordType: 3, recordId: id })).toBe(false);
  });

  it('a grant relayed by signature does not supersede a revoke signed after it was signed', async () => {
    const p = await f.patient();
    const d = await f.provider();
    await grant(p.chain, { provider: d.address, readMask: 2, expiry: (await f.now()) + YEAR });
    const g = await sign({ kind: 'grant', provider: d.address, readMask: 6, expiry: (await f.now()) + YEAR }, { signer: p.wallet });
    const r = await sign(await revokeOf(d.address, p), { signer: p.wallet });
    await relaySigned(d.chain, g);
    await relaySigned(relayer.chain, r);
    expect(await canRead(d.chain, { reader: d.address, patient: p.address, recordType: 2 })).toBe(false);
  });
});
