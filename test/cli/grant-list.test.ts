// Issue 12 § 5: `emr grant list` — who can see what, through the built binary on a devnet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
let lab = '';
let note = '';

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): grey, house, wilson verified; alice grants grey lab,note --write 1y.
  await c.fromWorld();
  // cuddy: a verified provider the patient never granted (break-glass only, FHIR.md § 8.1).
  await c.keygen([['cuddy', 'provider']]);
  await ok([...as('cuddy'), 'register', '--role', 'provider']);
  await ok([...as('admin'), 'admin', 'verify', 'cuddy']);
  lab = (await ok([...as('grey'), 'record', 'add', file('lab.txt', 'lab'), '--patient', 'alice', '--type', 'lab'])).records[0].id;
  note = (await ok([...as('grey'), 'record', 'add', file('note.txt', 'note'), '--patient', 'alice', '--type', 'note'])).records[0].id;
  await ok([...as('alice'), 'grant', 'house', '--records', note, '--expires', '30d']);
  await ok([...as('alice'), 'grant', 'wilson', '--types', 'lab', '--expires', '30d']);
  await ok([...as('alice'), 'revoke', 'wilson']);
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('grant list', () => {
  it('lists live grants (types, records, expiry, keys delivered) and who can still decrypt (re-key candidates)', async () => {
    const d = await ok([...as('alice'), 'grant', 'list']);
    const by = (n: string) => d.grants.find((g: any) => g.name === n);
    expect(by('grey')).toMatchObject({ live: true, read: ['note', 'lab'], write: ['note', 'lab'], records: [], stillDecryptable: [] });
    expect(Date.parse(by('grey').expires)).toBeGreaterThan(Date.now());
    expect(by('house')).toMatchObject({ live: true, read: [], records: [note], keysDelivered: 1, stillDecryptable: [] });
    // wilson was revoked without --rekey: no access, but the delivered lab key still opens the lab record.
    expect(by('wilson')).toMatchObject({ live: false, read: [], expires: null, keysDelivered: 1, stillDecryptable: [lab] });
    const human = await emr([...as('alice'), 'grant', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/grey\s+note,lab/);
    expect(human.stdout).toMatch(/wilson: records/);
  }, 120_000);

  it('after revoke --rekey the record is no longer a re-key candidate; `grant <provider>` still works beside `grant list`', async () => {
    await ok([...as('alice'), 'grant', 'wilson', '--types', 'lab', '--expires', '30d']);
    await ok([...as('alice'), 'revoke', 'wilson', '--rekey']);
    const d = await ok([...as('alice'), 'grant', 'list']);
    expect(d.grants.find((g: any) => g.name === 'wilson').stillDecryptable).toEqual([]);
  }, 120_000);
});

describe('grant list --format fhir', () => {
  it('without --json the Bundle is printed as indented JSON a person can read and a script can parse (docs/CLI.md)', async () => {
    const r = await emr([...as('alice'), 'grant', 'list', '--format', 'fhir']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines[1]).toMatch(/^ "resourceType": "Bundle",$/);
    expect(JSON.parse(r.stdout)).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
  }, 120_000);

  it('renders every grant as a Consent that validates as FHIR R4', async () => {
    const b = await ok([...as('alice'), 'grant', 'list', '--format', 'fhir']);
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const { createRequire } = await import('node:module');
    const { Fhir } = createRequire(import.meta.url)('fhir');
    expect(
      new Fhir().validate(b, { errorOnUnexpected: true }).messages.filter((m: any) => m.severity === 'error' || m.severity === 'fatal'),
    ).toEqual([]);
    const grey = await ok(['--home', c.home, 'whois', 'grey']);
    const consent = b.entry.map((e: any) => e.resource).find((r: any) => r.provision.actor[0].reference.identifier.value === grey.address);
    expect(consent).toMatchObject({ resourceType: 'Consent', status: 'active', provision: { type: 'permit' } });
    expect(consent.provision.code.map((c: any) => c.coding[0].code)).toEqual(['note', 'lab']);
    expect(b.entry.length).toBe(3);
  }, 120_000);

  it('MUST (FHIR.md § 8): no grants → a Bundle without `entry` (FHIR JSON has no empty arrays; a present entry has ≥ 1 element), still valid R4', async () => {
    // grey, a provider, is nobody's patient: no grant names grey as the patient.
    const b = await ok([...as('alice'), 'grant', 'list', '--patient', 'grey', '--format', 'fhir']);
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(b).not.toHaveProperty('entry');
    expect(JSON.stringify(b)).not.toContain('[]');
    const { createRequire } = await import('node:module');
    const { Fhir } = createRequire(import.meta.url)('fhir');
    expect(
      new Fhir().validate(b, { errorOnUnexpected: true }).messages.filter((m: any) => m.severity === 'error' || m.severity === 'fatal'),
    ).toEqual([]);
  }, 120_000);
});

describe('grant list --format fhir: break-glass is not consent; dated by the chain (issue 21 § 4)', () => {
  const blockTime = async (tx: string) => {
    const receipt = (await c.rpc('eth_getTransactionReceipt', [tx])) as { blockNumber: string };
    const block = (await c.rpc('eth_getBlockByNumber', [receipt.blockNumber, false])) as { timestamp: string };
    return new Date(Number(BigInt(block.timestamp)) * 1000).toISOString();
  };

  it('MUST (FHIR.md § 8): every Consent is dated by the block that gave it, not by the export', async () => {
    const g = await ok([...as('alice'), 'grant', 'grey', '--types', 'lab,note', '--write', '--expires', '1y']);
    // Let the chain clock run ahead of the grant's block: the export time would now differ.
    await c.rpc('evm_increaseTime', [3600]);
    await c.rpc('evm_mine', []);
    const b = await ok([...as('alice'), 'grant', 'list', '--format', 'fhir']);
    const grey = await ok(['--home', c.home, 'whois', 'grey']);
    const consent = b.entry.map((e: any) => e.resource).find((r: any) => r.provision.actor[0].reference.identifier.value === grey.address);
    expect(consent.dateTime).toBe(await blockTime(g.txHashes.at(-1)));
  }, 120_000);

  it('MUST (FHIR.md § 8.1): break-glass access is its own Consent (policy BTG, purpose ETREAT, the window, the types), never an open opt-in', async () => {
    await ok([...as('alice'), 'emergency', 'types', 'lab']);
    // cuddy was never granted anything: his only access is the emergency window he opens.
    const e = await ok([...as('cuddy'), 'emergency', 'open', 'alice', '--reason', 'unconscious in ER']);
    const b = await ok([...as('alice'), 'grant', 'list', '--format', 'fhir']);
    const { createRequire } = await import('node:module');
    const { Fhir } = createRequire(import.meta.url)('fhir');
    expect(
      new Fhir().validate(b, { errorOnUnexpected: true }).messages.filter((m: any) => m.severity === 'error' || m.severity === 'fatal'),
    ).toEqual([]);
    const cuddy = (await ok(['--home', c.home, 'whois', 'cuddy'])).address;
    const his = b.entry.map((x: any) => x.resource).filter((r: any) => r.provision.actor[0].reference.identifier.value === cuddy);
    const btg = his.filter((r: any) => r.policyRule.coding[0].code === 'BTG');
    // The patient never opted in: no opt-in Consent may say she did (before: one active, type-less OPTIN permit).
    expect(his.filter((r: any) => r.policyRule.coding[0].code === 'OPTIN')).toEqual([]);
    expect(btg).toHaveLength(1);
    expect(btg[0]).toMatchObject({
      status: 'active',
      dateTime: await blockTime(e.txHash),
      provision: {
        type: 'permit',
        period: { start: await blockTime(e.txHash), end: e.expiresAt },
        purpose: [{ code: 'ETREAT' }],
        code: [{ coding: [{ system: 'urn:emr:record-type', code: 'lab' }] }],
      },
    });
  }, 120_000);
});
