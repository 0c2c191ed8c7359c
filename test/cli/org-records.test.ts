// Issue 24 § 1, "Records carry their organisation": the organisation a record names (signed,
// docs/FORMAT.md § 3.5) in the FHIR export (docs/FHIR.md § 9.6), through the built binary on
// a devnet. Every export is checked against the official R4 JSON schema and the Bundle
// invariants (test/helpers/fhir-schema.ts), independently of emr's own validator.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr, ROOT } from '../helpers/cli.js';
import { bundleInvariantProblems, schemaErrors } from '../helpers/fhir-schema.js';

const c = clinic();
const { as, ok, file } = c;
const WRITE = 'lab,vitals,immunization,note,procedure,other';
const synthea = join(ROOT, 'test', 'fixtures', 'fhir', 'synthea-patient-a.json');
const src = JSON.parse(readFileSync(synthea, 'utf8'));
const patientUrl = src.entry.find((e: any) => e.resource.resourceType === 'Patient').fullUrl;
const HOSTILE = 'Mercy\u001b[31m\nforged\u202e\u2028';
let site: { chainId: number; contract: string };
let stE = '';
let mercy = '';
/** The records the first describe adds, by role in the tests. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  // The shared clinic: grey, house, wilson verified; alice grants grey lab,note --write 1y.
  site = await c.fromWorld();
  await c.keygen([['fresh', 'patient']]);
  await ok([...as('fresh'), 'register']);
  await ok([...as('alice'), 'grant', 'grey', '--types', WRITE, '--write', '--expires', '1y']);
  // Another site (house) files the exported chart for a fresh patient (FHIR.md § 9.5).
  await ok([...as('fresh'), 'grant', 'house', '--types', WRITE, '--write', '--expires', '1y']);
  stE = (await ok([...as('admin'), 'org', 'create', 'St Elsewhere', '--admin', 'house'])).org;
  mercy = (await ok([...as('admin'), 'org', 'create', HOSTILE, '--admin', 'house'])).org;
  for (const [org, who] of [
    [stE, 'grey'],
    [stE, 'house'],
    [mercy, 'grey'],
  ])
    await ok([...as('house'), 'org', 'add', org!, who!]);
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
  rmSync(c.home, { recursive: true, force: true });
});

const read = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const exportOf = async (who: string, name: string) => {
  const out = join(c.home, name);
  await ok([...as(who), 'record', 'export', '--format', 'fhir', '-o', out, '--force']);
  const b = read(out);
  expect(schemaErrors(b).slice(0, 5)).toEqual([]);
  expect(bundleInvariantProblems(b, { references: true })).toEqual([]);
  return b;
};
const orgsIn = (b: any) => b.entry.filter((e: any) => e.resource.resourceType === 'Organization');
const system = () => `urn:emr:org:eip155:${site.chainId}:${site.contract.toLowerCase()}`;
const ofOrg = (b: any, id: string) =>
  orgsIn(b).filter((e: any) => e.resource.identifier?.[0]?.system === system() && e.resource.identifier[0].value === id);

describe('the FHIR export names the organisation (docs/FHIR.md § 9.6)', () => {
  let e1: any;

  it('records added for an org: a Synthea Bundle, an Encounter without serviceProvider, files with and without org', async () => {
    await ok([...as('grey'), 'record', 'add', synthea, '--patient', 'alice', '--org', 'St Elsewhere']);
    const enc = {
      resourceType: 'Encounter',
      id: 'enc-org',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: patientUrl },
      period: { start: '2024-05-01T10:00:00Z' },
    };
    const add = async (name: string, body: string, extra: string[]) =>
      (await ok([...as('grey'), 'record', 'add', file(name, body), '--patient', 'alice', '--type', 'lab', ...extra])).records[0].id;
    ids.enc = (
      await ok([...as('grey'), 'record', 'add', file('enc.json', JSON.stringify(enc)), '--patient', 'alice', '--org', stE])
    ).records[0].id;
    ids.withOrg = await add('org.txt', 'Hb 14', ['--org', stE]);
    ids.mercy = await add('mercy.txt', 'Hb 15', ['--org', mercy]);
    ids.none = await add('none.txt', 'Hb 16', []);
  }, 240_000);

  it('MUST (FHIR.md § 9.6): one Organization per org, schema-valid, custodian and serviceProvider resolve to it; a record without org has none', async () => {
    e1 = await exportOf('alice', 'org-e1.json');
    const st = ofOrg(e1, stE);
    const me = ofOrg(e1, mercy);
    expect(st).toHaveLength(1);
    expect(me).toHaveLength(1);
    expect(st[0].resource.name).toBe('St Elsewhere');
    // A hostile name from the chain: control, bidi and separator characters replaced, so no viewer is driven by it.
    expect(me[0].resource.name).toBe('Mercy\uFFFD[31m\uFFFDforged\uFFFD\uFFFD');
    // Synthea's own two Organizations, and ours: nothing else.
    expect(orgsIn(e1)).toHaveLength(4);
    const doc = (id: string) => e1.entry.find((e: any) => e.resource.id === `emr-record-${id}`).resource;
    expect(doc(ids.withOrg!).custodian).toMatchObject({ reference: st[0].fullUrl, identifier: { system: system(), value: stE } });
    expect(doc(ids.mercy!).custodian.reference).toBe(me[0].fullUrl);
    expect(doc(ids.none!).custodian).toBeUndefined();
    const encounters = e1.entry.filter((e: any) => e.resource.resourceType === 'Encounter');
    expect(encounters.find((e: any) => e.resource.id === 'enc-org').resource.serviceProvider.reference).toBe(st[0].fullUrl);
    // An Encounter that names its serviceProvider keeps it: the author signed it.
    for (const s of src.entry.filter((e: any) => e.resource.resourceType === 'Encounter'))
      expect(encounters.find((e: any) => e.resource.id === s.resource.id).resource.serviceProvider).toEqual(s.resource.serviceProvider);
  }, 180_000);

  it('MUST (FHIR.md § 9.6): exported, imported again for an org and exported, each Organization is there once', async () => {
    const out = join(c.home, 'org-e1.json');
    await ok([...as('house'), 'record', 'add', out, '--patient', 'fresh', '--org', stE]);
    const e2 = await exportOf('fresh', 'org-e2.json');
    expect(ofOrg(e2, stE)).toHaveLength(1);
    expect(ofOrg(e2, mercy)).toHaveLength(1);
    expect(orgsIn(e2)).toHaveLength(4);
    expect(ofOrg(e2, stE)[0]).toEqual(ofOrg(e1, stE)[0]);
  }, 240_000);
});

describe("a record's organisation in the human views and --json (docs/SHARING.md § 9.7)", () => {
  const ESCAPED = 'Mercy\\x1b[31m\\nforged\\u{202e}\\u{2028}';
  const human = async (args: string[]) => {
    const r = await emr([...as('alice'), ...args]);
    expect(r.code, r.stderr).toBe(0);
    // A hostile org name from the chain cannot drive the terminal or forge a line.
    expect(r.stdout).not.toMatch(/\u001b|\u202e|\u2028/);
    expect(r.stdout).not.toMatch(/^forged/m);
    return r.stdout;
  };

  it('MUST (SHARING.md § 9.7): record list --details, history and audit name the org of each record that carries one, escaped for people, exact in --json', async () => {
    const listed = await ok([...as('alice'), 'record', 'list', '--details']);
    const row = (id: string) => listed.records.find((r: any) => r.id === id);
    expect(row(ids.mercy!)).toMatchObject({ org: mercy, orgName: HOSTILE });
    expect(row(ids.withOrg!)).toMatchObject({ org: stE, orgName: 'St Elsewhere' });
    expect(row(ids.none!).org).toBeUndefined();
    const list = await human(['record', 'list', '--details']);
    expect(list).toContain(ESCAPED);
    expect(list).toMatch(/St Elsewhere/);

    const h = await ok([...as('alice'), 'history']);
    const items = (id: string) => h.items.filter((i: any) => i.record === id);
    expect(items(ids.mercy!)[0].org).toEqual({ id: mercy, name: HOSTILE });
    expect(items(ids.enc!)[0].org).toEqual({ id: stE, name: 'St Elsewhere' });
    expect(items(ids.none!)[0].org).toBeUndefined();
    const hist = await human(['history']);
    expect(hist).toContain(ESCAPED);
    expect(hist.split('\n').find((l) => l.includes(`#${ids.withOrg}`))).toMatch(/St Elsewhere/);

    // The record's org is inside its encryption: audit names it from the details cache the views above filled.
    const a = await ok([...as('alice'), 'audit']);
    const added = (id: string) => a.events.find((e: any) => e.event === 'record-added' && e.recordId === id);
    expect(added(ids.mercy!).org).toEqual({ id: mercy, name: HOSTILE });
    expect(added(ids.withOrg!).org).toEqual({ id: stE, name: 'St Elsewhere' });
    expect(added(ids.none!).org).toBeUndefined();
    const trail = await human(['audit']);
    expect(trail).toContain(ESCAPED);
    // An org event names its org too (the admin's view of every event).
    const all = await ok([...as('admin'), 'audit', '--all', '--event', 'org-created']);
    expect(all.events.map((e: any) => e.org)).toEqual(
      expect.arrayContaining([
        { id: mercy, name: HOSTILE },
        { id: stE, name: 'St Elsewhere' },
      ]),
    );
  }, 240_000);
});
