// CONTRACT.md § Organisations (issue 24 § 1): raw contract calls on anvil.
import { AbiCoder } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { addOrgMember, createOrg, grantOrg, logAccessVia, removeOrgMember, revokeOrg } from '../../src/chain/org.js';
import { currentMembers, listOrgs, liveOrgReaders, orgInfo, readableVia, resolveOrg } from '../../src/chain/org-state.js';
import { read } from '../../src/chain/read.js';
import { suspendProvider } from '../../src/chain/suspend-provider.js';
import { AccessDeniedError, NotFoundError, UsageError } from '../../src/errors.js';
import { type Actor, type ChainWorld, chainWorld, digest } from '../helpers/world.js';

const LAB = 1;
const RX = 3;
const YEAR = 365 * 86400;
let f: ChainWorld;
let n = 0x7000;
beforeAll(async () => {
  f = await chainWorld();
});

const add = async (p: Actor, slot = LAB) =>
  (await addRecord(p.chain, { patient: p.address, recordType: slot, cidCodec: 0x55, digest: digest(n++) })).id;
const canVia = (reader: Actor, org: bigint, p: Actor, slot: number, id: bigint) =>
  read(f.admin.chain, 'canReadVia', [reader.address, org, p.address, slot, id]);

describe('organisations', () => {
  it('MUST (§ Organisations 1): only the consortium creates an org; names are unique; an org admin (not the consortium) manages members', async () => {
    const orgAdmin = await f.provider();
    const doc = await f.provider();
    await expect(createOrg(orgAdmin.chain, { name: 'Mallory General', admins: [orgAdmin.address] })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    const { org } = await createOrg(f.admin.chain, { name: 'St Elsewhere A', admins: [orgAdmin.address] });
    expect(await resolveOrg(f.admin.chain, 'St Elsewhere A')).toBe(org);
    await expect(createOrg(f.admin.chain, { name: 'St Elsewhere A', admins: [orgAdmin.address] })).rejects.toBeInstanceOf(UsageError);
    await expect(addOrgMember(f.admin.chain, { org, provider: doc.address })).rejects.toBeInstanceOf(AccessDeniedError);
    await addOrgMember(orgAdmin.chain, { org, provider: doc.address, department: 'ward 3' });
    const info = await orgInfo(f.admin.chain, org);
    expect(info.name).toBe('St Elsewhere A');
    expect(info.admins).toEqual([orgAdmin.address]);
    expect(info.members).toMatchObject([{ address: doc.address, department: 'ward 3', leftAt: 0 }]);
    await expect(resolveOrg(f.admin.chain, 'No Such Hospital')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('MUST (§ Organisations 2): only a verified provider becomes a member', async () => {
    const orgAdmin = await f.provider();
    const unverified = await f.provider({ verified: false });
    const { org } = await createOrg(f.admin.chain, { name: 'St Elsewhere B', admins: [orgAdmin.address] });
    await expect(addOrgMember(orgAdmin.chain, { org, provider: unverified.address })).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('MUST (§ Organisations 3): an org grant lets members read its slots; a member who leaves reads nothing added after; a department grant only that department', async () => {
    const orgAdmin = await f.provider();
    const [a, b, c] = [await f.provider(), await f.provider(), await f.provider()];
    const p = await f.patient();
    const { org } = await createOrg(f.admin.chain, { name: 'St Elsewhere C', admins: [orgAdmin.address] });
    await addOrgMember(orgAdmin.chain, { org, provider: a.address, department: 'cardiology' });
    await addOrgMember(orgAdmin.chain, { org, provider: b.address, department: 'lab' });
    const before = await add(p);
    await grantOrg(p.chain, { org, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    expect(await canVia(a, org, p, LAB, before)).toBe(true);
    expect(await canVia(a, org, p, RX, before)).toBe(false);
    expect(await canVia(c, org, p, LAB, before)).toBe(false);
    expect(await readableVia(a.chain, { reader: a.address, patient: p.address, recordType: LAB, recordId: before })).toBe(org);
    const receipt = await logAccessVia(a.chain, { recordId: before, patient: p.address, recordType: LAB, org });
    expect(receipt.txHash).toMatch(/^0x/);
    await expect(logAccessVia(c.chain, { recordId: before, patient: p.address, recordType: LAB, org })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    // c joins later: it reads (on chain) what is added after.
    await addOrgMember(orgAdmin.chain, { org, provider: c.address });
    expect((await liveOrgReaders(p.chain, p.address, LAB)).map((r) => r.address).sort()).toEqual([a.address, b.address, c.address].sort());
    await removeOrgMember(orgAdmin.chain, { org, provider: a.address });
    const after = await add(p);
    expect(await canVia(a, org, p, LAB, before)).toBe(true);
    expect(await canVia(a, org, p, LAB, after)).toBe(false);
    expect(await canVia(c, org, p, LAB, after)).toBe(true);
    expect(await currentMembers(p.chain, org)).not.toContain(a.address);
    // A grant to one department: the other members read nothing through it.
    const tag = Number(await read(f.admin.chain, 'departmentTag', ['lab']));
    await grantOrg(p.chain, { org, readMask: 1 << LAB, departmentTag: tag, expiry: (await f.now()) + YEAR });
    expect(await canVia(b, org, p, LAB, after)).toBe(true);
    expect(await canVia(c, org, p, LAB, after)).toBe(false);
    // A suspended member reads nothing.
    await suspendProvider(f.admin.chain, { provider: b.address });
    expect(await canVia(b, org, p, LAB, after)).toBe(false);
  });

  it('MUST (§ Organisations 4): revokeOrg ends every member’s access at once', async () => {
    const orgAdmin = await f.provider();
    const a = await f.provider();
    const p = await f.patient();
    const { org } = await createOrg(f.admin.chain, { name: 'St Elsewhere D', admins: [orgAdmin.address] });
    await addOrgMember(orgAdmin.chain, { org, provider: a.address });
    const id = await add(p);
    await grantOrg(p.chain, { org, readMask: 1 << LAB, expiry: (await f.now()) + YEAR });
    expect(await canVia(a, org, p, LAB, id)).toBe(true);
    await revokeOrg(p.chain, { org });
    expect(await canVia(a, org, p, LAB, id)).toBe(false);
    expect(await liveOrgReaders(p.chain, p.address, LAB)).toEqual([]);
  });
  it('MUST (§ Organisations 1): a department or org name that is not UTF-8 (hostile chain text) does not break reading the org', async () => {
    // ABI-encoded `string` and `bytes` are the same bytes, and Solidity does not check UTF-8:
    // an org admin can store 0xff 0xfe, which no string decoder accepts (ethers defers the
    // error to the read of that argument). Before, orgInfo threw, and every view reading the
    // org (org show, grant list, the author's recipients) failed with it.
    const orgAdmin = await f.provider();
    const doc = await f.provider();
    const { org } = await createOrg(f.admin.chain, { name: 'Bytes General', admins: [orgAdmin.address] });
    const selector = f.admin.chain.iface.getFunction('addOrgMember')!.selector;
    const args = AbiCoder.defaultAbiCoder().encode(['uint256', 'address', 'bytes'], [org, doc.address, '0xfffe41']);
    await (await orgAdmin.chain.signer!.sendTransaction({ to: f.admin.chain.address, data: selector + args.slice(2) })).wait();
    const info = await orgInfo(f.admin.chain, org);
    expect(info.members).toHaveLength(1);
    expect(info.members[0]!.department).toBe('\ufffd\ufffdA');
    expect(await currentMembers(f.admin.chain, org)).toEqual([doc.address]);
    expect((await listOrgs(f.admin.chain)).map((o) => o.id)).toContain(org);
  });
});
