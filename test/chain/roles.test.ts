import { beforeAll, describe, expect, it } from 'vitest';
import { addAdmin } from '../../src/chain/add-admin.js';
import { auditEvents } from '../../src/chain/audit.js';
import { register } from '../../src/chain/register.js';
import { removeAdmin } from '../../src/chain/remove-admin.js';
import { suspendProvider } from '../../src/chain/suspend-provider.js';
import { verifyProvider } from '../../src/chain/verify-provider.js';
import { recipientCommitment, whois } from '../../src/chain/whois.js';
import { AccessDeniedError, UsageError } from '../../src/errors.js';
import { type ChainWorld, chainWorld, X25519_RECIPIENT } from '../helpers/world.js';

// The exact shape of an ML-KEM-768 + X25519 recipient (CONTRACT.md § Recipients): 1959 characters.
const PQ_RECIPIENT = `age1pq1${'q'.repeat(1952)}`;

let f: ChainWorld;
beforeAll(async () => {
  f = await chainWorld();
});

describe('registration', () => {
  it('publishes role and recipient; whois reads the event and checks the commitment', async () => {
    const a = await f.actor();
    expect((await whois(a.chain, a.address)).registered).toBe(false);
    await register(a.chain, { role: 'patient', recipient: X25519_RECIPIENT });
    const info = await whois(a.chain, a.address);
    expect(info).toMatchObject({
      registered: true,
      role: 'patient',
      verified: false,
      suspended: false,
      admin: false,
      recipient: X25519_RECIPIENT,
    });
    expect(info.keyUpdatedAt).toBeGreaterThan(0);
    const [, , commitment] = (await a.chain.contract.getFunction('accountOf')(a.address)) as [bigint, bigint, string];
    expect(commitment.toLowerCase()).toBe(recipientCommitment(X25519_RECIPIENT));
  });

  it('re-registration rotates the key (PQ-sized) and keeps provider verification', async () => {
    const p = await f.provider();
    await register(p.chain, { role: 'provider', recipient: PQ_RECIPIENT });
    const info = await whois(p.chain, p.address);
    expect(info.recipient).toBe(PQ_RECIPIENT);
    expect(info.verified).toBe(true);
    const evs = (await auditEvents(p.chain)).filter((e) => e.kind === 'Registered' && e.actor === p.address);
    expect(evs.map((e) => e.fields.recipient)).toEqual([X25519_RECIPIENT, PQ_RECIPIENT]);
  });

  it('refuses a role change, a bad role and an empty or oversized recipient', async () => {
    const a = await f.patient();
    await expect(register(a.chain, { role: 'provider', recipient: X25519_RECIPIENT })).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(a.chain.contract.getFunction('register').staticCall(3, X25519_RECIPIENT, { from: a.address })).rejects.toMatchObject({
      revert: { name: 'InvalidRole' },
    });
    await expect(register(a.chain, { role: 'patient', recipient: '' })).rejects.toBeInstanceOf(UsageError);
    await expect(a.chain.contract.getFunction('register').staticCall(1, 'x'.repeat(4097), { from: a.address })).rejects.toMatchObject({
      revert: { name: 'InvalidRecipient' },
    });
  });
});

describe('admins and provider verification', () => {
  it('the deployer is the first admin; non-admins cannot verify, suspend or add admins', async () => {
    expect((await whois(f.admin.chain, f.admin.address)).admin).toBe(true);
    const p = await f.provider({ verified: false });
    const outsider = await f.provider();
    for (const action of [
      () => verifyProvider(outsider.chain, { provider: p.address }),
      () => suspendProvider(outsider.chain, { provider: p.address }),
      () => addAdmin(outsider.chain, { account: outsider.address }),
      () => removeAdmin(outsider.chain, { account: f.admin.address }),
    ]) {
      await expect(action()).rejects.toMatchObject({ code: 'ACCESS_DENIED', details: { contractError: 'NotAdmin' } });
    }
    expect((await whois(p.chain, p.address)).verified).toBe(false);
  });

  it('verify, suspend and re-verify a provider; a patient cannot be verified', async () => {
    const p = await f.provider({ verified: false });
    await verifyProvider(f.admin.chain, { provider: p.address });
    expect(await whois(p.chain, p.address)).toMatchObject({ verified: true, suspended: false });
    await suspendProvider(f.admin.chain, { provider: p.address });
    expect(await whois(p.chain, p.address)).toMatchObject({ verified: false, suspended: true });
    await verifyProvider(f.admin.chain, { provider: p.address });
    expect(await whois(p.chain, p.address)).toMatchObject({ verified: true, suspended: false });
    const pt = await f.patient();
    await expect(verifyProvider(f.admin.chain, { provider: pt.address })).rejects.toMatchObject({
      details: { contractError: 'NotProvider' },
    });
  });

  it('adds and removes admins but never the last one', async () => {
    const g = await chainWorld(f.url);
    const second = await g.actor();
    await addAdmin(g.admin.chain, { account: second.address });
    await expect(addAdmin(g.admin.chain, { account: second.address })).rejects.toBeInstanceOf(UsageError);
    await removeAdmin(second.chain, { account: g.admin.address });
    expect((await whois(g.admin.chain, g.admin.address)).admin).toBe(false);
    await expect(removeAdmin(second.chain, { account: second.address })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      details: { contractError: 'LastAdmin' },
    });
    const kinds = (await auditEvents(g.admin.chain)).map((e) => e.kind);
    expect(kinds).toEqual(['AdminAdded', 'AdminAdded', 'AdminRemoved']);
  });
});
