// Issue 21 § 4: FHIR that survives a round trip (docs/FHIR.md § 9), through the built binary
// on a devnet. Both Synthea patients: import → amend → void → export → import into a fresh
// patient → export is a fixed point; every export is checked against the official R4 JSON schema
// and the Bundle invariants (bdl-7, references resolve), independently of emr's validator.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, ROOT } from '../helpers/cli.js';
import { bundleInvariantProblems, schemaErrors } from '../helpers/fhir-schema.js';

const c = clinic();
const { as, ok, file } = c;
const fixture = (p: string) => join(ROOT, 'test', 'fixtures', 'fhir', p);
const WRITE = 'lab,vitals,immunization,note,procedure,other';
const BILLING = ['Claim', 'ExplanationOfBenefit'];

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): patients alice and bob (registered; they were
  // les and kim), providers grey and house (verified). The two fresh patients are made here.
  await c.fromWorld();
  await c.keygen([
    ['fresh-a', 'patient'],
    ['fresh-b', 'patient'],
  ]);
  await Promise.all(['fresh-a', 'fresh-b'].map((p) => ok([...as(p), 'register'])));
  for (const p of ['alice', 'bob']) await ok([...as(p), 'grant', 'grey', '--types', WRITE, '--write', '--expires', '1y']);
  // A fresh chart filed by another site (house): grey's patient index knows these people under alice and bob.
  for (const p of ['fresh-a', 'fresh-b']) await ok([...as(p), 'grant', 'house', '--types', WRITE, '--write', '--expires', '1y']);
}, 600_000);

afterAll(async () => {
  await c.devnetDown();
});

const read = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const counts = (b: any) =>
  (b.entry ?? []).reduce(
    (m: Record<string, number>, e: any) => ((m[e.resource.resourceType] = (m[e.resource.resourceType] ?? 0) + 1), m),
    {},
  );
const byUrl = (b: any) => new Map((b.entry ?? []).map((e: any) => [e.fullUrl, e.resource]));
/** Every check an export must pass (FHIR.md § 9.3), independently of emr's own validator. */
function expectValidExport(b: any, o: { references?: boolean } = { references: true }) {
  expect(schemaErrors(b).slice(0, 5)).toEqual([]);
  expect(bundleInvariantProblems(b, o)).toEqual([]);
}

/** Closing-note figures: the resource counts of one Synthea patient before and after a round trip. */
const figures: Record<string, unknown> = {};

describe.each([
  ['synthea-patient-a.json', 'alice', 'fresh-a'],
  ['synthea-patient-b.json', 'bob', 'fresh-b'],
])('round trip of %s (FHIR.md § 9.5)', (name, patient, fresh) => {
  const src = read(fixture(name));
  let added: any[] = [];
  let amended: any;
  let original: any;
  let e1: any;

  it('import, an amendment (--supersedes) of one lab Observation, and a record voided as entered in error', async () => {
    added = (await ok([...as('grey'), 'record', 'add', fixture(name), '--patient', patient])).records;
    // Organizations and Practitioners the resources reference ride along as reference data (§ 3.2): nothing dangles.
    const lab = added.find((r) => r.type === 'lab');
    const obs = (original = src.entry
      .map((e: any) => e.resource)
      .find((r: any) => r.resourceType === 'Observation' && r.category[0].coding[0].code === 'laboratory'));
    // Synthea's lab results are coded (COVID-19 tests): the correction changes the result's text.
    amended = { ...obs, valueCodeableConcept: { ...obs.valueCodeableConcept, text: 'Not detected (corrected)' } };
    const fix = (
      await ok([
        ...as('grey'),
        'record',
        'add',
        file(`${patient}-fix.json`, JSON.stringify(amended)),
        '--patient',
        patient,
        '--supersedes',
        lab.id,
      ])
    ).records[0];
    expect(fix.type).toBe('lab');
    // A result filed by mistake, then voided (`emr record void`): gone from the current export.
    const wrong = { ...amended, id: `wrong-${patient}`, valueCodeableConcept: { text: 'filed for the wrong patient' } };
    const w = (await ok([...as('grey'), 'record', 'add', file(`${patient}-wrong.json`, JSON.stringify(wrong)), '--patient', patient]))
      .records[0];
    await ok([...as('grey'), 'record', 'void', w.id, '--reason', 'entered in error']);
  }, 240_000);

  it('MUST (FHIR.md § 9.1): the default export holds current versions only: one entry per fullUrl (bdl-7), the amendment as `amended`; schema-valid; every reference resolves', async () => {
    const out = join(c.home, `${patient}-e1.json`);
    const d = await ok([...as(patient), 'record', 'export', '--format', 'fhir', '-o', out]);
    e1 = read(out);
    expectValidExport(e1);
    expect(d.resources).toBe(e1.entry.length);
    const want = counts({ entry: src.entry.filter((e: any) => !BILLING.includes(e.resource.resourceType)) });
    expect(counts(e1)).toEqual(want);
    expect(e1.entry.filter((e: any) => e.resource.id === `wrong-${patient}`)).toEqual([]);
    const got = e1.entry.filter((e: any) => e.resource.id === amended.id);
    expect(got).toHaveLength(1);
    expect(got[0].resource).toEqual({ ...amended, status: 'amended' });
    // Every other resource exactly as it went in, under its own fullUrl.
    const urls = byUrl(e1);
    for (const e of src.entry)
      if (!BILLING.includes(e.resource.resourceType) && e.resource.id !== amended.id)
        expect(urls.get(e.fullUrl), e.fullUrl).toEqual(e.resource);
    figures[`${name} export`] = counts(e1);
  }, 180_000);

  it('MUST (FHIR.md § 9.1): --history exports every version with meta.versionId, the older under a fullUrl of its own', async () => {
    const out = join(c.home, `${patient}-h.json`);
    await ok([...as(patient), 'record', 'export', '--format', 'fhir', '--history', '-o', out]);
    const h = read(out);
    expectValidExport(h, { references: true });
    expect(new Set(h.entry.map((e: any) => e.fullUrl)).size).toBe(h.entry.length);
    const versions = h.entry.filter((e: any) => e.resource.id === amended.id && e.resource.resourceType === 'Observation');
    expect(versions.map((e: any) => e.resource.meta.versionId)).toEqual(['1', '2']);
    expect(versions[1].fullUrl).toBe(e1.entry.find((e: any) => e.resource.id === amended.id).fullUrl);
    expect(versions[0].fullUrl).toMatch(/^urn:emr:version:/);
    expect(versions[0].resource).toEqual({ ...original, meta: { versionId: '1' } });
    expect(versions[1].resource).toEqual({ ...amended, status: 'amended', meta: { versionId: '2' } });
    for (const e of h.entry) expect(e.resource.meta?.versionId, e.fullUrl).toMatch(/^\d+$/);
    // The voided record's resource is there as R4 says it: entered-in-error, never current.
    const voided = h.entry.filter((e: any) => e.resource.id === `wrong-${patient}`);
    expect(voided).toHaveLength(1);
    expect(voided[0].resource.status).toBe('entered-in-error');
    expect(voided[0].fullUrl).toMatch(/^urn:emr:version:/);
  }, 180_000);

  it('MUST (FHIR.md § 9.5): import the export into a fresh patient, export again: the same resources, counts and dates of care', async () => {
    const e1File = join(c.home, `${patient}-e1.json`);
    const again = await ok([...as('house'), 'record', 'add', e1File, '--patient', fresh]);
    expect(again.skipped).toBeUndefined();
    const out = join(c.home, `${fresh}-e2.json`);
    await ok([...as(fresh), 'record', 'export', '--format', 'fhir', '-o', out]);
    const e2 = read(out);
    expectValidExport(e2);
    expect(counts(e2)).toEqual(counts(e1));
    expect(byUrl(e2)).toEqual(byUrl(e1));
    // Dates of care per type: the fresh chart's records date as the original's latest current ones.
    const latest = (rs: any[]) =>
      rs.reduce((m: Record<string, string>, r) => ((m[r.type] = [m[r.type] ?? '', r.date ?? ''].sort().at(-1)!), m), {});
    const originalDates = latest((await ok([...as(patient), 'record', 'list', '--details'])).records);
    expect(latest(again.records)).toEqual(originalDates);
    figures[`${name} after round trip`] = counts(e2);
  }, 240_000);
});

describe('what a record carries reaches the export (FHIR.md § 9.2, § 9.4)', () => {
  it('MUST (FHIR.md § 9.2): --facility becomes Encounter.serviceProvider, --mrn a Patient identifier', async () => {
    const enc = {
      resourceType: 'Encounter',
      id: 'enc-facility-1',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `urn:uuid:${read(fixture('synthea-patient-a.json')).entry[0].resource.id}` },
      period: { start: '2021-03-04T10:00:00Z' },
    };
    await ok([
      ...as('grey'),
      'record',
      'add',
      file('enc.json', JSON.stringify(enc)),
      '--patient',
      'alice',
      '--facility',
      'St. Elsewhere',
      '--mrn',
      'MRN-0042',
    ]);
    const out = join(c.home, 'les-meta.json');
    await ok([...as('alice'), 'record', 'export', '--format', 'fhir', '-o', out]);
    const b = read(out);
    expectValidExport(b);
    const e = b.entry.find((x: any) => x.resource.id === 'enc-facility-1').resource;
    expect(e.serviceProvider).toEqual({ display: 'St. Elsewhere' });
    const p = b.entry.find((x: any) => x.resource.resourceType === 'Patient').resource;
    expect(p.identifier).toContainEqual(
      expect.objectContaining({ value: 'MRN-0042', type: expect.objectContaining({ coding: [expect.objectContaining({ code: 'MR' })] }) }),
    );
  }, 180_000);

  it('MUST (FHIR.md § 9.4): a non-FHIR file is a DocumentReference with its real contentType, size and SHA-1, no ciphertext URL; --inline adds the bytes', async () => {
    const bytes = Buffer.from('%PDF-1.4\n% a scanned discharge letter\n%%EOF\n');
    await ok([
      ...as('grey'),
      'record',
      'add',
      file('letter.pdf', bytes.toString('latin1')),
      '--patient',
      'alice',
      '--type',
      'note',
      '--title',
      'discharge letter',
    ]);
    for (const inline of [false, true]) {
      const out = join(c.home, `les-doc-${inline}.json`);
      await ok([...as('alice'), 'record', 'export', '--format', 'fhir', ...(inline ? ['--inline'] : []), '-o', out]);
      const b = read(out);
      expectValidExport(b);
      const doc = b.entry
        .map((e: any) => e.resource)
        .find((r: any) => r.resourceType === 'DocumentReference' && r.description === 'discharge letter');
      const att = doc.content[0].attachment;
      expect(att).toMatchObject({
        contentType: 'application/pdf',
        size: bytes.length,
        hash: createHash('sha1').update(bytes).digest('base64'),
      });
      expect(att.url).toBeUndefined();
      expect(JSON.stringify(doc)).not.toContain('ipfs://');
      if (inline) expect(Buffer.from(att.data, 'base64')).toEqual(bytes);
      else expect(att.data).toBeUndefined();
      // About the exported Patient (a reference that resolves), not an address only this chain knows.
      expect(doc.subject.reference).toBe(b.entry.find((e: any) => e.resource.resourceType === 'Patient').fullUrl);
    }
  }, 240_000);

  it('reports the closing-note figures', () => {
    // Printed for the closing note: resource counts before and after a round trip.
    console.log(JSON.stringify(figures, null, 1));
    expect(Object.keys(figures).length).toBe(4);
  });
});
