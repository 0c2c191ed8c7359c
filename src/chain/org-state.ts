/**
 * Organisation reads (CONTRACT.md § Organisations). The contract answers in O(1) per
 * (org, member) and (patient, org) but cannot enumerate: candidates come from events and
 * each is confirmed against current state. Everything here came from the chain: names are
 * returned raw (the caller escapes them for a terminal) and every list is bounded.
 */
import { id as keccakText } from 'ethers';
import { AccessDeniedError, NotFoundError, UsageError } from '../errors.js';
import { addressTopic, idTopic, queryEvents } from './logs.js';
import { checkId, parseAddress } from './params.js';
import { read } from './read.js';
import type { EmrChain } from './types.js';

/** Bounds on what one run reads from a hostile history. */
export const MAX_ORGS = 256;
export const MAX_MEMBERS = 1024;

export interface OrgMember {
  address: string;
  joinedAt: number;
  /** 0 while a member. */
  leftAt: number;
  /** After leaving: the first record id it may not read. */
  readsBefore: bigint;
  departmentTag: number;
  department: string;
  /**
   * Where the member's latest OrgMemberAdded event is (every member is found through one):
   * orders the join against another event exactly (two blocks may share a timestamp, a join
   * and a grant may share a block).
   */
  joinedLog: { blockNumber: number; logIndex: number };
}

export interface OrgInfo {
  id: bigint;
  name: string;
  createdAt: number;
  admins: string[];
  members: OrgMember[];
}

/** An org by id (digits) or exact name; exit 7 when there is none. */
export async function resolveOrg(chain: EmrChain, ref: string): Promise<bigint> {
  const r = ref.trim();
  if (!r) throw new UsageError('name an organisation', { hint: 'an org id or its exact name; see `emr org list`' });
  let org: bigint;
  if (/^\d{1,18}$/.test(r)) org = checkId(r, 'org id');
  else org = await read(chain, 'orgIdOfNameHash', [keccakText(r)]);
  if (org === 0n || Number(await read(chain, 'orgOf', [org])) === 0) {
    throw new NotFoundError(`no organisation ${JSON.stringify(r.slice(0, 80))}`, { hint: 'see `emr org list`; names are exact' });
  }
  return org;
}

export async function listOrgs(chain: EmrChain): Promise<Array<{ id: bigint; name: string; createdBlock: number }>> {
  const events = await queryEvents(chain, { names: ['OrgCreated'] });
  return events.slice(0, MAX_ORGS).map((e) => ({ id: e.args[0] as bigint, name: String(e.args[2]), createdBlock: e.blockNumber }));
}

export async function orgMemberOf(chain: EmrChain, org: bigint, provider: string): Promise<Omit<OrgMember, 'department' | 'joinedLog'>> {
  const [joinedAt, leftAt, readsBefore, departmentTag] = await read(chain, 'orgMemberOf', [org, parseAddress(provider, 'provider')]);
  return { address: provider, joinedAt: Number(joinedAt), leftAt: Number(leftAt), readsBefore, departmentTag: Number(departmentTag) };
}

export async function orgInfo(chain: EmrChain, org: bigint): Promise<OrgInfo> {
  const t = idTopic(org);
  const [created, adminEvents, memberEvents, createdAt] = await Promise.all([
    queryEvents(chain, { names: ['OrgCreated'], topics: [t] }),
    queryEvents(chain, { names: ['OrgAdminSet'], topics: [t] }),
    queryEvents(chain, { names: ['OrgMemberAdded'], topics: [t] }),
    read(chain, 'orgOf', [org]),
  ]);
  if (!created.length || Number(createdAt) === 0) throw new NotFoundError(`no organisation ${org}`, { hint: 'see `emr org list`' });
  const admins: string[] = [];
  for (const a of [...new Set(adminEvents.map((e) => String(e.args[1])))].slice(0, MAX_MEMBERS)) {
    if (await read(chain, 'isOrgAdmin', [org, a])) admins.push(a);
  }
  // Each member's latest add event (in the order members first appear): its department name
  // (the tag is on chain) and its log position (OrgMember.joinedLog).
  const latestAdd = new Map<string, (typeof memberEvents)[number]>();
  for (const e of memberEvents) latestAdd.set(String(e.args[1]).toLowerCase(), e);
  const members: OrgMember[] = [];
  for (const e of [...latestAdd.values()].slice(0, MAX_MEMBERS)) {
    const a = String(e.args[1]);
    const m = await orgMemberOf(chain, org, a);
    if (m.joinedAt)
      members.push({
        ...m,
        department: m.departmentTag ? String(e.args[4]) : '',
        joinedLog: { blockNumber: e.blockNumber, logIndex: e.logIndex },
      });
  }
  return { id: org, name: String(created[0]!.args[2]), createdAt: Number(createdAt), admins, members };
}

/** The orgs `provider` was ever added to (the reader names one when it reads through it). */
export async function orgsOfMember(chain: EmrChain, provider: string): Promise<bigint[]> {
  const events = await queryEvents(chain, { names: ['OrgMemberAdded'], topics: [null, addressTopic(parseAddress(provider, 'provider'))] });
  return [...new Set(events.map((e) => e.args[0] as bigint))].slice(0, MAX_ORGS);
}

export interface OrgGrantState {
  org: bigint;
  expiry: number;
  readMask: number;
  departmentTag: number;
  epoch: number;
  live: boolean;
}

export async function orgGrantOf(chain: EmrChain, patient: string, org: bigint): Promise<OrgGrantState> {
  const [g, latest] = await Promise.all([
    read(chain, 'orgGrantOf', [parseAddress(patient, 'patient'), org]),
    chain.provider.getBlock('latest'),
  ]);
  const [expiry, readMask, departmentTag, epoch] = g.map(Number) as [number, number, number, number];
  const now = latest ? latest.timestamp : Math.floor(Date.now() / 1000);
  return { org, expiry, readMask, departmentTag, epoch, live: expiry > now && readMask !== 0 };
}

/** The orgs `patient` ever granted (live or not), from OrgGranted events. */
export async function orgsGrantedBy(chain: EmrChain, patient: string): Promise<bigint[]> {
  const events = await queryEvents(chain, { names: ['OrgGranted'], topics: [addressTopic(parseAddress(patient, 'patient'))] });
  return [...new Set(events.map((e) => e.args[1] as bigint))].slice(0, MAX_ORGS);
}

/**
 * The members who may read a record of `slot` of `patient` added now, through any org the
 * patient granted: the author encrypts new records to them (SHARING.md § 9.3).
 */
export async function liveOrgReaders(chain: EmrChain, patient: string, slot: number): Promise<Array<{ org: bigint; address: string }>> {
  const out: Array<{ org: bigint; address: string }> = [];
  for (const org of await orgsGrantedBy(chain, patient)) {
    const g = await orgGrantOf(chain, patient, org);
    if (!g.live || ((g.readMask >>> slot) & 1) === 0) continue;
    for (const m of await currentMembers(chain, org)) {
      if (await read(chain, 'canReadVia', [m, org, patient, slot, 0n])) out.push({ org, address: m });
    }
  }
  return out;
}

/**
 * The names the chain gave these orgs (OrgCreated), by decimal id; an id with no such event
 * is left out. Raw chain text: the caller escapes it. At most MAX_ORGS ids are looked up.
 */
export async function orgNames(chain: EmrChain, ids: readonly string[]): Promise<Map<string, string>> {
  const want = [...new Set(ids)].slice(0, MAX_ORGS).map((i) => checkId(i, 'org id'));
  if (!want.length) return new Map();
  const events = await queryEvents(chain, { names: ['OrgCreated'], topics: [want.map(idTopic)] });
  return new Map(events.map((e) => [(e.args[0] as bigint).toString(), String(e.args[2])]));
}

/** Members now (joined, not left), from the add events confirmed against state. */
export async function currentMembers(chain: EmrChain, org: bigint): Promise<string[]> {
  const events = await queryEvents(chain, { names: ['OrgMemberAdded'], topics: [idTopic(org)] });
  const out: string[] = [];
  for (const a of [...new Set(events.map((e) => String(e.args[1])))].slice(0, MAX_MEMBERS)) {
    const m = await orgMemberOf(chain, org, a);
    if (m.joinedAt && !m.leftAt) out.push(a);
  }
  return out;
}

/** The org through which `reader` may read this record now, if any (the reader names it). */
export async function readableVia(
  chain: EmrChain,
  p: { reader: string; patient: string; recordType: number; recordId: bigint },
): Promise<bigint | undefined> {
  for (const org of await orgsOfMember(chain, p.reader)) {
    if (await read(chain, 'canReadVia', [p.reader, org, p.patient, p.recordType, p.recordId])) return org;
  }
  return undefined;
}

/** The grantee an org's key delivery names (SHARING.md § 9.2): the org, not one member. */
export const orgGrantee = (org: bigint) => `org:${org}`;

/**
 * Key deliveries of `patient`'s grants to the orgs `reader` was ever a member of, newest
 * first (SHARING.md § 9.2), at most MAX_ORGS of them.
 */
export async function orgKeyDeliveries(
  chain: EmrChain,
  patient: string,
  reader: string,
): Promise<Array<{ org: bigint; keyDelivery: string }>> {
  const orgs = await orgsOfMember(chain, reader);
  if (!orgs.length) return [];
  const events = await queryEvents(chain, {
    names: ['OrgGranted'],
    topics: [addressTopic(parseAddress(patient, 'patient')), orgs.map(idTopic)],
  });
  const zero = `0x${'00'.repeat(32)}`;
  return events
    .filter((e) => e.args[5] !== zero)
    .reverse()
    .slice(0, MAX_ORGS)
    .map((e) => ({ org: e.args[1] as bigint, keyDelivery: String(e.args[5]) }));
}

/** The org id (decimal) `ref` names when `author` is a current member of it; exit 3 otherwise (FORMAT.md § 3.5). */
export async function memberOrg(chain: EmrChain, ref: string, author: string): Promise<string> {
  const org = await resolveOrg(chain, ref);
  const m = await orgMemberOf(chain, org, author);
  if (!m.joinedAt || m.leftAt) {
    throw new AccessDeniedError(`you are not a member of organisation ${org}`, {
      hint: `an org admin adds you with \`emr org add ${org} <you>\`; see \`emr org show ${org}\``,
    });
  }
  return org.toString();
}
