// docs/FHIR.md § 10: `emr audit --format fhir`, the trail as FHIR R4 AuditEvent resources,
// through the built binary on a devnet. Every output is validated with the `fhir` library.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChain } from '../../src/chain/client.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, rpc } = c;
/** A hostile reason: a forged line, ESC, and a right-to-left override. */
const EVIL = 'unconscious\n2026-01-01 alice revoked grey\x1b[2K\u202eevil';
const addr = {} as Record<'alice' | 'grey' | 'admin' | 'mal', string>;
let devnet: { rpcUrl: string; contract: string; chainId: number };
let lab = '';
let labCid = '';
let note = '';

const { Fhir } = createRequire(import.meta.url)('fhir');
const fhir = new Fhir();
function fhirErrors(resource: unknown) {
  return fhir.validate(resource, { errorOnUnexpected: true }).messages.filter((m: any) => m.severity === 'error' || m.severity === 'fatal');
}
const events = (b: any): any[] => b.entry.map((e: any) => e.resource);
const emrCode = (ev: any) => ev.subtype.find((s: any) => s.system === 'urn:emr:audit-event').code;
const byKind = (b: any, kind: string) => events(b).filter((ev: any) => emrCode(ev) === kind);
const entityOf = (ev: any, system: string) => ev.entity.filter((x: any) => x.what?.identifier?.system === system);
const coding = (c: any) => c && `${c.system}|${c.code}`;
const detailOf = (entity: any, type: string) => entity.detail?.find((d: any) => d.type === type)?.valueString;

beforeAll(async () => {
  // The shared clinic (test/helpers/shared-world.ts): alice, grey verified (the first
  // provider the admin verified), and alice's grant to grey of lab,note with write for 1y.
  devnet = await c.fromWorld();
  for (const n of ['alice', 'grey', 'admin'] as const) addr[n] = c.address(n);

  const added = (await ok([...as('grey'), 'record', 'add', c.file('lab.txt', 'CBC'), '--patient', 'alice', '--type', 'lab'])).records[0];
  lab = added.id;
  labCid = added.cid;
  note = (await ok([...as('alice'), 'record', 'add', c.file('note.txt', 'note'), '--patient', 'alice', '--type', 'note'])).records[0].id;
  await ok([...as('grey'), 'fetch', lab, '-o', join(c.home, 'lab-out.txt')]);
  await ok([...as('alice'), 'emergency', 'types', 'lab']);
  await ok([...as('grey'), 'emergency', 'open', 'alice', '--reason', EVIL]);
  const req = (await ok([...as('grey'), 'access', 'request', 'alice', '--types', 'imaging', '--reason', 'second opinion'])).requestId;
  await ok([...as('alice'), 'access', 'deny', req]);

  // mal drives the contract directly (as with `cast`): granted labs, it logs a receipt
  // claiming alice's note is a lab — a forged receipt — then alice revokes it.
  const wallet = Wallet.createRandom();
  addr.mal = wallet.address;
  await rpc('anvil_setBalance', [wallet.address, '0x56bc75e2d63100000']);
  const mal = await connectChain({ rpcUrl: devnet.rpcUrl, contract: devnet.contract, signer: wallet, pollingIntervalMs: 50 });
  const malContract = mal.contract.connect(mal.signer!) as typeof mal.contract;
  await (await malContract.getFunction('register')(2, generateIdentity().recipient)).wait();
  await ok([...as('admin'), 'admin', 'verify', wallet.address]);
  await ok([...as('alice'), 'grant', wallet.address, '--types', 'lab', '--expires', '30d']);
  // On chain a type is alice's secret slot (CONTRACT.md § Privacy); mal, a lab grantee, holds her key.
  const LAB = (await c.slotsOf('alice')).slotOf('lab');
  await (await malContract.getFunction('logAccess')(BigInt(note), addr.alice, LAB)).wait();
  await ok([...as('alice'), 'revoke', wallet.address]);
}, 300_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('audit --format fhir (FHIR.md § 10)', () => {
  let bundle: any;
  let trail: any[];

  beforeAll(async () => {
    bundle = await ok([...as('alice'), 'audit', '--format', 'fhir']);
    trail = (await ok([...as('alice'), 'audit'])).events;
  }, 120_000);

  it('MUST: one AuditEvent per event of the same trail, in order, in a collection Bundle that validates as FHIR R4', () => {
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(fhirErrors(bundle)).toEqual([]);
    expect(events(bundle).map(emrCode)).toEqual(trail.map((r) => r.event));
    expect(events(bundle).map((ev) => ev.recorded)).toEqual(trail.map((r) => r.time));
    expect(new Set(bundle.entry.map((e: any) => e.fullUrl)).size).toBe(trail.length);
    for (const ev of events(bundle)) expect([ev.resourceType, ev.agent[0].requestor]).toEqual(['AuditEvent', true]);
    // The validator is not a rubber stamp: a code outside a required value set fails.
    expect(fhirErrors({ ...bundle, entry: [{ ...bundle.entry[0], resource: { ...events(bundle)[0], action: 'X' } }] })).not.toEqual([]);
  });

  it('MUST: type, subtype and action codes follow the mapping table; source is the chain and the contract', () => {
    const codes = (kind: string) =>
      byKind(bundle, kind).map((ev) => [
        coding(ev.type),
        ev.subtype.filter((s: any) => s.system !== 'urn:emr:audit-event').map(coding),
        ev.action,
      ]);
    const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
    const REST = 'http://hl7.org/fhir/restful-interaction';
    expect(codes('record-added')[0]).toEqual([`${DCM}|110110`, [`${REST}|create`], 'C']);
    expect(codes('granted')[0]).toEqual([`${DCM}|110113`, [`${DCM}|110135`], 'U']);
    expect(codes('revoked')[0]).toEqual([`${DCM}|110113`, [`${DCM}|110135`], 'U']);
    expect(codes('emergency-opened')[0]).toEqual([`${DCM}|110113`, [`${DCM}|110127`], 'E']);
    expect(codes('access-requested')[0]).toEqual([`${DCM}|110110`, [], 'E']);
    for (const ev of events(bundle)) {
      expect(ev.outcome).toMatch(/^(0|4)$/);
      expect(ev.source).toMatchObject({
        site: `eip155:${devnet.chainId}`,
        observer: { identifier: { system: 'urn:emr:ethereum-address', value: devnet.contract } },
      });
    }
  });

  it('MUST: the record entity names id, type and CID; a grant names the recipient and the access it sets', () => {
    const added = byKind(bundle, 'record-added').find((ev) => entityOf(ev, 'urn:emr:record')[0].what.identifier.value === lab);
    const rec = entityOf(added, 'urn:emr:record')[0];
    expect(detailOf(rec, 'record-type')).toBe('lab');
    expect(detailOf(rec, 'cid')).toBe(`ipfs://${labCid}`);
    expect(added.agent[0].who.identifier.value).toBe(addr.grey);
    expect(entityOf(added, 'urn:emr:ethereum-address')[0]).toMatchObject({
      what: { identifier: { value: addr.alice } },
      role: { code: '1' },
    });
    const granted = byKind(bundle, 'granted')[0];
    expect(granted.agent.map((a: any) => [a.who.identifier.value, a.requestor, a.type?.coding[0].code ?? null])).toEqual([
      [addr.alice, true, null],
      [addr.grey, false, 'IRCP'],
    ]);
    const consent = entityOf(granted, 'urn:emr:consent')[0];
    expect(consent.what.identifier.value).toBe(`${addr.alice.toLowerCase()}:${addr.grey.toLowerCase()}`);
    expect(detailOf(consent, 'read-types')).toBe('note,lab');
    const opened = byKind(bundle, 'emergency-opened')[0];
    // The reason is carried exactly in JSON (the human rendering escapes it).
    expect(opened.purposeOfEvent[0]).toMatchObject({ coding: [{ code: 'ETREAT' }], text: EVIL });
  });

  it('MUST: a read receipt claims no more than it proves; a forged receipt is never a read', () => {
    const receipts = byKind(bundle, 'record-accessed');
    const real = receipts.find((ev) => ev.agent[0].who.identifier.value === addr.grey);
    expect(real).toMatchObject({ action: 'R', outcome: '0' });
    const rec = entityOf(real, 'urn:emr:record')[0];
    expect(rec.what.identifier.value).toBe(lab);
    expect(rec.description).toMatch(/proves only that this reader was allowed to read this record when the receipt was logged/);
    expect(rec.description).toMatch(/does not prove that the record was downloaded or decrypted/);
    // Nothing that would say more: no lifecycle event, no network, no period of use.
    expect(JSON.stringify(real)).not.toMatch(/"lifecycle"|"network"|"period"/);

    const forged = receipts.find((ev) => ev.agent[0].who.identifier.value === addr.mal);
    expect(entityOf(forged, 'urn:emr:record')[0].what.identifier.value).toBe(note);
    expect(forged.action).toBeUndefined();
    expect(forged.subtype.map((s: any) => s.code)).toEqual(['record-accessed']);
    expect(forged).toMatchObject({
      type: { code: '110113' },
      outcome: '4',
      outcomeDesc: expect.stringMatching(/^FORGED receipt \(not a read\): .*type/),
    });
    expect(entityOf(forged, 'urn:emr:record')[0].description).toBeUndefined();
  });

  it('MUST: parties are named by address only, never by local profile names', () => {
    const text = JSON.stringify(bundle);
    for (const name of ['"alice"', '"grey"', '"admin"']) expect(text).not.toContain(name);
    for (const ev of events(bundle)) for (const a of ev.agent) expect(Object.keys(a.who).sort()).toEqual(['identifier']);
  });

  it('the audit filters apply: a provider gets the events it took part in; --since cuts by block', async () => {
    const greyBundle = await ok([...as('grey'), 'audit', '--format', 'fhir']);
    const greyTrail = (await ok([...as('grey'), 'audit'])).events;
    expect(fhirErrors(greyBundle)).toEqual([]);
    expect(events(greyBundle).map(emrCode)).toEqual(greyTrail.map((r: any) => r.event));
    expect(events(greyBundle).map(emrCode)).not.toContain('emergency-types-set');
    const since = trail.find((r) => r.event === 'record-accessed' && r.actor === addr.grey).block;
    const late = await ok([...as('alice'), 'audit', '--format', 'fhir', '--since', String(since)]);
    expect(fhirErrors(late)).toEqual([]);
    expect(events(late).map(emrCode)).toEqual(trail.filter((r) => r.block >= since).map((r) => r.event));
    // SHOULD: the lab's RecordAdded is before --since, so its receipt names the record by id and type, without a CID.
    const rec = entityOf(byKind(late, 'record-accessed')[0], 'urn:emr:record')[0];
    expect([rec.what.identifier.value, detailOf(rec, 'record-type'), detailOf(rec, 'cid')]).toEqual([lab, 'lab', undefined]);
    const none = await ok([...as('alice'), 'audit', '--format', 'fhir', '--since', String(trail.at(-1).block + 1_000)]);
    expect(none).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(none.entry).toBeUndefined();
    // The same --since after the head is no events for `emr audit` too (it was exit 6, UNAVAILABLE).
    expect((await ok([...as('alice'), 'audit', '--since', String(trail.at(-1).block + 1_000)])).events).toEqual([]);
    const all = await ok([...as('admin'), 'audit', '--all', '--format', 'fhir']);
    expect(fhirErrors(all)).toEqual([]);
    expect(events(all).length).toBeGreaterThan(events(bundle).length);
    const verified = byKind(all, 'provider-verified')[0];
    expect([verified.type.code, verified.subtype[0].code, verified.action]).toEqual(['110113', '110136', 'U']);
    expect(entityOf(verified, 'urn:emr:ethereum-address')[0]).toMatchObject({
      what: { identifier: { value: addr.grey } },
      role: { code: '11' },
    });
  }, 120_000);

  it('for people: the same Bundle as valid JSON with nothing a terminal acts on', async () => {
    const r = await emr([...as('alice'), 'audit', '--format', 'fhir']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u);
    const parsed = JSON.parse(r.stdout);
    expect({ ...parsed, timestamp: null }).toEqual({ ...bundle, timestamp: null });
  }, 60_000);

  it('usage errors: --format with --follow, an unknown format (exit 2)', async () => {
    const follow = await emr([...as('alice'), '--json', 'audit', '--format', 'fhir', '--follow']);
    expect(follow.code).toBe(2);
    expect(follow.json?.error?.message).toMatch(/--follow .*not with --format/);
    expect((await emr([...as('alice'), '--json', 'audit', '--format', 'xml'])).code).toBe(2);
  }, 60_000);
});
