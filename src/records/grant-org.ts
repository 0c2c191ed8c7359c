/**
 * `emr grant --org <org> [--department <d>]` and `emr revoke --org <org> [--rekey]`
 * (docs/CLI.md § Sharing; docs/SHARING.md § 9): the patient lets an organisation's members
 * (or one department's) read records of some types until the expiry. The patient's type key
 * and the keys of the records in scope go to the members of now, in one delivery sealed to
 * all of them and naming the org; a record added later is encrypted to the members of then
 * by its author (recipients.ts). A revoke works as for a provider (§ 3): at once on chain,
 * what the members could read and fetched reported, --rekey re-keys it.
 */

import { readerKey } from '../chain/grants.js';
import { addressTopic, queryEvents } from '../chain/logs.js';
import { grantOrg, revokeOrg } from '../chain/org.js';
import { currentMembers, orgGrantee, orgGrantOf, orgInfo, orgMemberOf, resolveOrg } from '../chain/org-state.js';
import { read } from '../chain/read.js';
import { checkReceipts } from '../chain/receipts.js';
import { listRecords } from '../chain/records.js';
import { whois } from '../chain/whois.js';
import { parseRecipient } from '../crypto/identity.js';
import { AccessDeniedError, UsageError } from '../errors.js';
import { RECORD_TYPES } from '../record-types.js';
import type { With } from '../session/index.js';
import { currentRecipients, type Rekeyed, rekeyRecords, type Skipped } from './rekey.js';
import { deliverKeys, recordsInScope } from './share.js';
import { ownTypeKey, slotsFor } from './type-keys.js';

async function requirePatient(s: With<'me' | 'chain'>, what: string): Promise<void> {
  if ((await whois(s.chain, s.me.profile.address)).role !== 'patient') {
    throw new AccessDeniedError(`only a registered patient can ${what}`, {
      hint: 'grants belong to patients; run `emr register` as the patient',
    });
  }
}

function kindOf(recipient: string): string | null {
  try {
    return parseRecipient(recipient).kind;
  } catch {
    return null;
  }
}

export async function grantOrgFlow(
  s: With<'me' | 'chain' | 'store'>,
  g: { org: string; department?: string | undefined; types: string[]; expiry: number },
) {
  await requirePatient(s, 'grant');
  const org = await resolveOrg(s.chain, g.org);
  const tag = g.department ? Number(await read(s.chain, 'departmentTag', [g.department])) : 0;
  const patient = s.me.profile.address;
  const slots = await slotsFor(s, patient);
  const types = g.types.includes('all') ? [...RECORD_TYPES] : g.types;
  const readMask = slots.pad(slots.toMask(types));
  const warnings: string[] = [];
  // The members of now in scope (the department's, when one is named), with usable keys of
  // the patient's kind (SHARING.md § 1.5: one kind per file).
  const kind = kindOf(s.me.age.recipient);
  const to: string[] = [];
  const members: string[] = [];
  for (const m of await currentMembers(s.chain, org)) {
    if (tag && (await orgMemberOf(s.chain, org, m)).departmentTag !== tag) continue;
    const k = await readerKey(s.chain, m);
    if (k.refused || !k.recipient || kindOf(k.recipient) !== kind) {
      warnings.push(`member ${m} gets no keys now: ${k.refused?.message ?? 'its published key is unusable or of another kind'}`);
      continue;
    }
    members.push(m);
    to.push(k.recipient);
  }
  if (!members.length) warnings.push('no current member to deliver keys to: members read only records added after they join');
  const inScope = await recordsInScope(s.chain, patient, { readMask });
  const typeKey = ownTypeKey(s.me);
  let delivery: Awaited<ReturnType<typeof deliverKeys>>;
  try {
    delivery = await deliverKeys(s, orgGrantee(org), inScope, { typeKey, to });
  } finally {
    typeKey.fill(0);
  }
  const sent = await grantOrg(s.chain, { org, readMask, departmentTag: tag, expiry: g.expiry, keyDelivery: delivery.digest });
  return {
    org: org.toString(),
    department: g.department ?? null,
    types,
    expiresAt: new Date(g.expiry * 1000).toISOString(),
    members,
    keysDelivered: delivery.delivered,
    skipped: delivery.skipped,
    warnings,
    txHash: sent.txHash,
  };
}

export async function revokeOrgFlow(s: With<'me' | 'chain' | 'store'>, orgRef: string, opts: { rekey: boolean }) {
  await requirePatient(s, 'revoke');
  const org = await resolveOrg(s.chain, orgRef);
  const patient = s.me.profile.address;
  const grant = await orgGrantOf(s.chain, patient, org);
  // Everyone who was ever a member may hold keys delivered while it was one.
  const everMembers = (await orgInfo(s.chain, org)).members.map((m) => m.address);
  const reads = everMembers.length
    ? await queryEvents(s.chain, { names: ['RecordAccessed'], topics: [null, addressTopic(patient), everMembers.map(addressTopic)] })
    : [];
  const problems = await checkReceipts(s.chain, reads);
  const fetched = [...new Set(reads.filter((e) => !problems.get(e)).map((e) => (e.args[0] as bigint).toString()))];
  const tx = await revokeOrg(s.chain, { org });
  const all = await listRecords(s.chain, { patient });
  const couldRead = all.filter((r) => ((grant.readMask >>> r.recordType) & 1) === 1);
  let rekeyed: Rekeyed[] = [];
  let skipped: Skipped[] = [];
  const warnings: string[] = [];
  if (opts.rekey && couldRead.length) {
    // After the revoke the members are live readers only through grants of their own.
    const res = await rekeyRecords(s, couldRead, await currentRecipients(s, patient, null, warnings), {
      resumeHint: `the revoke itself was sent; run \`emr revoke --org ${org} --rekey\` again when the chain and store answer`,
    });
    rekeyed = res.rekeyed;
    skipped = res.skipped;
  }
  return {
    org: org.toString(),
    txHash: tx.txHash,
    members: everMembers,
    rekeyed,
    skipped,
    warnings,
    voidedDeliveries: [] as string[],
    stillHeld: {
      fetched,
      couldRead: couldRead.map((r) => r.id.toString()),
      note: 'copies the members fetched, and keys delivered to them, cannot be recalled; re-keyed records no longer open with those keys',
    },
  };
}

/** Options a grant to an org cannot take (usage errors, exit 2). */
export function checkOrgGrantOptions(o: { who?: string; records?: string; write?: boolean; signOnly?: boolean }): void {
  if (o.who) throw new UsageError('name a provider or --org, not both', { hint: 'emr grant --org <org> --types …' });
  if (o.records) throw new UsageError('--records cannot go to an organisation', { hint: 'grant an org by --types' });
  if (o.write)
    throw new UsageError('--write cannot go to an organisation', { hint: 'grant writing to a provider: emr grant <provider> --write' });
  if (o.signOnly) throw new UsageError('--sign-only cannot go to an organisation', { hint: 'send the org grant yourself' });
}
