/**
 * `emr org create|add|remove|list|show` (docs/CLI.md § Organisations; docs/CONTRACT.md
 * § Organisations): the consortium registers an organisation with its admins, an org admin
 * adds and removes verified providers. Each write refuses a caller without the right role
 * first (exit 3), before any gas estimate.
 */
import { addOrgMember, checkDepartment, checkOrgName, createOrg, removeOrgMember, setOrgAdmin } from '../chain/org.js';
import { listOrgs, orgInfo, orgMemberOf, resolveOrg } from '../chain/org-state.js';
import { read } from '../chain/read.js';
import { requireAdmin } from '../chain/require-admin.js';
import type { EmrChain } from '../chain/types.js';
import { AccessDeniedError, NotFoundError } from '../errors.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';

export async function createOrgFlow(s: With<'chain'>, name: string, admins: string[]) {
  checkOrgName(name);
  await requireAdmin(s.chain, 'only a consortium admin registers organisations');
  const accounts = [];
  for (const a of admins) accounts.push(await resolveAddress(s.ctx, a));
  const sent = await createOrg(s.chain, { name, admins: accounts });
  return { org: sent.org.toString(), name, admins: accounts, txHash: sent.txHash, gasUsed: sent.gasUsed.toString() };
}

async function requireOrgAdmin(chain: EmrChain, org: bigint): Promise<void> {
  const me = await chain.signer!.getAddress();
  if (!(await read(chain, 'isOrgAdmin', [org, me]))) {
    throw new AccessDeniedError(`not an admin of organisation ${org}`, {
      hint: 'an org admin named at `emr org create --admin` adds and removes members',
      details: { account: me },
    });
  }
}

export async function addMemberFlow(s: With<'chain'>, orgRef: string, who: string, department: string | undefined) {
  checkDepartment(department);
  const org = await resolveOrg(s.chain, orgRef);
  await requireOrgAdmin(s.chain, org);
  const provider = await resolveAddress(s.ctx, who);
  const sent = await addOrgMember(s.chain, { org, provider, department: department ?? '' });
  return { org: org.toString(), provider, department: department ?? null, txHash: sent.txHash };
}

export async function removeMemberFlow(s: With<'chain'>, orgRef: string, who: string) {
  const org = await resolveOrg(s.chain, orgRef);
  await requireOrgAdmin(s.chain, org);
  const provider = await resolveAddress(s.ctx, who);
  const m = await orgMemberOf(s.chain, org, provider);
  if (!m.joinedAt || m.leftAt)
    throw new NotFoundError(`${provider} is not a member of organisation ${org}`, { hint: `see \`emr org show ${org}\`` });
  const sent = await removeOrgMember(s.chain, { org, provider });
  return { org: org.toString(), provider, txHash: sent.txHash };
}

export async function listOrgsFlow(s: With<'chain'>) {
  return { orgs: (await listOrgs(s.chain)).map((o) => ({ id: o.id.toString(), name: o.name })) };
}

export async function showOrgFlow(s: With<'chain'>, orgRef: string) {
  const info = await orgInfo(s.chain, await resolveOrg(s.chain, orgRef));
  const iso = (t: number) => (t ? new Date(t * 1000).toISOString() : null);
  return {
    id: info.id.toString(),
    name: info.name,
    createdAt: iso(info.createdAt),
    admins: info.admins,
    members: info.members.map((m) => ({
      address: m.address,
      department: m.department || null,
      joinedAt: iso(m.joinedAt),
      leftAt: iso(m.leftAt),
      current: !m.leftAt,
    })),
  };
}

/**
 * `emr org admin add|remove <org> <account>` (docs/CLI.md § Organisations): the consortium
 * names or removes an org's admin. Refused (exit 3) before any gas to anyone else, an org
 * admin included; a call that changes nothing sends nothing.
 */
export async function setOrgAdminFlow(s: With<'chain'>, orgRef: string, who: string, on: boolean) {
  await requireAdmin(s.chain, 'only a consortium admin (`emr admin add`) names or removes the admins of an organisation');
  const org = await resolveOrg(s.chain, orgRef);
  const account = await resolveAddress(s.ctx, who);
  const was = Boolean(await read(s.chain, 'isOrgAdmin', [org, account]));
  if (was === on) return { org: org.toString(), account, admin: on, changed: false, txHash: null, gasUsed: null };
  const sent = await setOrgAdmin(s.chain, { org, account, on });
  return { org: org.toString(), account, admin: on, changed: true, txHash: sent.txHash, gasUsed: sent.gasUsed.toString() };
}
