/**
 * Organisations (CONTRACT.md § Organisations, issue 24 § 1): the consortium registers one
 * with its admins, an org admin adds and removes verified providers, a patient grants an
 * org (or a department of it) read access to type slots, and a member reads through it.
 */
import { UsageError } from '../errors.js';
import { checkBytes32, checkId, checkMask, checkRecordType, parseAddress, toUnixSeconds } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

/** The contract's bounds, in UTF-8 bytes (CONTRACT.md § Organisations). */
export const MAX_ORG_NAME_BYTES = 128;
export const MAX_DEPARTMENT_BYTES = 64;
export const MAX_ORG_ADMINS = 16;

export function checkOrgName(name: string): string {
  const n = Buffer.byteLength(name, 'utf8');
  if (name.trim() === '' || n > MAX_ORG_NAME_BYTES) {
    throw new UsageError(`an organisation name is 1..${MAX_ORG_NAME_BYTES} bytes (got ${n})`, { hint: 'pass a shorter name' });
  }
  // A name is an id too (`--org <name>`): a number would be read as an org id.
  if (/^\d+$/.test(name.trim())) throw new UsageError('an organisation name cannot be only digits', { hint: 'digits name an org id' });
  return name;
}

export function checkDepartment(d: string | undefined): string {
  const n = Buffer.byteLength(d ?? '', 'utf8');
  if (n > MAX_DEPARTMENT_BYTES) {
    throw new UsageError(`a department name is at most ${MAX_DEPARTMENT_BYTES} bytes (got ${n})`, { hint: 'pass a shorter --department' });
  }
  return d ?? '';
}

export async function createOrg(chain: EmrChain, p: { name: string; admins: string[] }): Promise<SentTx & { org: bigint }> {
  if (p.admins.length === 0 || p.admins.length > MAX_ORG_ADMINS) {
    throw new UsageError(`an organisation has 1..${MAX_ORG_ADMINS} admins`, { hint: 'pass --admin <who> once per admin' });
  }
  const sent = await send(chain, 'createOrg', [checkOrgName(p.name), p.admins.map((a) => parseAddress(a, 'org admin'))]);
  const ev = sent.events.find((e) => e.name === 'OrgCreated');
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed, org: ev ? (ev.args[0] as bigint) : 0n };
}

export async function addOrgMember(chain: EmrChain, p: { org: bigint; provider: string; department?: string }): Promise<SentTx> {
  return send(chain, 'addOrgMember', [checkId(p.org, 'org id'), parseAddress(p.provider, 'provider'), checkDepartment(p.department)]);
}

/** The consortium names or removes an admin of an org (CONTRACT.md § Organisations: `setOrgAdmin`). */
export async function setOrgAdmin(chain: EmrChain, p: { org: bigint; account: string; on: boolean }): Promise<SentTx> {
  return send(chain, 'setOrgAdmin', [checkId(p.org, 'org id'), parseAddress(p.account, 'org admin'), p.on]);
}

export async function removeOrgMember(chain: EmrChain, p: { org: bigint; provider: string }): Promise<SentTx> {
  return send(chain, 'removeOrgMember', [checkId(p.org, 'org id'), parseAddress(p.provider, 'provider')]);
}

export async function grantOrg(
  chain: EmrChain,
  p: { org: bigint; readMask: number; departmentTag?: number; expiry: number | bigint | Date; keyDelivery?: string },
): Promise<SentTx> {
  const readMask = checkMask(p.readMask, 'read types');
  if (readMask === 0) throw new UsageError('nothing to grant', { hint: 'name at least one type with --types' });
  return send(chain, 'grantOrg', [
    checkId(p.org, 'org id'),
    readMask,
    (p.departmentTag ?? 0) >>> 0,
    toUnixSeconds(p.expiry),
    checkBytes32(p.keyDelivery, 'key delivery digest'),
  ]);
}

export async function revokeOrg(chain: EmrChain, p: { org: bigint }): Promise<SentTx> {
  return send(chain, 'revokeOrg', [checkId(p.org, 'org id')]);
}

export async function logAccessVia(
  chain: EmrChain,
  p: { recordId: bigint; patient: string; recordType: number; org: bigint },
): Promise<SentTx> {
  return send(chain, 'logAccessVia', [
    checkId(p.recordId),
    parseAddress(p.patient, 'patient'),
    checkRecordType(p.recordType),
    checkId(p.org, 'org id'),
  ]);
}
