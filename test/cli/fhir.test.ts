// Issue 12: FHIR R4 in (docs/FHIR.md), amendments, through the built binary on a devnet.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr, ROOT } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
const fixture = (p: string) => join(ROOT, 'test', 'fixtures', 'fhir', p);
const bundleA = JSON.parse(readFileSync(fixture('synthea-patient-a.json'), 'utf8'));
let added: any[] = [];

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): alice, bob registered; grey, house verified;
  // mallory registered, verified here.
  await c.fromWorld();
  await ok([...as('admin'), 'admin', 'verify', 'mallory']);
  await ok([...as('alice'), 'grant', 'grey', '--types', 'lab,vitals,immunization,note,procedure,other', '--write', '--expires', '1y']);
  await ok([...as('alice'), 'grant', 'mallory', '--types', 'lab', '--expires', '1y']);
  await ok([...as('bob'), 'grant', 'grey', '--types', 'lab', '--write', '--expires', '1y']);
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
});

const count = (rs: any[]) => rs.reduce((m: Record<string, number>, r) => ((m[r.type] = (m[r.type] ?? 0) + 1), m), {});

describe('FHIR in (docs/FHIR.md § 3)', () => {
  it('a Synthea patient Bundle becomes one record per type; billing and directory resources are skipped and reported', async () => {
    const d = await ok([...as('grey'), 'record', 'add', fixture('synthea-patient-a.json'), '--patient', 'alice']);
    added = d.records;
    expect(count(added)).toEqual({ lab: 1, vitals: 1, immunization: 1, note: 1, procedure: 1, other: 1 });
    // Organizations and Practitioners the resources reference ride along inside those records (FHIR.md § 3.2).
    expect(d.skipped).toEqual({ Claim: 18, ExplanationOfBenefit: 18 });
    const kept = bundleA.entry
      .map((e: any) => e.resource)
      .filter((r: any) => !['Claim', 'ExplanationOfBenefit', 'Organization', 'Practitioner'].includes(r.resourceType));
    expect(added.flatMap((r) => r.resources.map((x: any) => x.id)).sort()).toEqual(kept.map((r: any) => r.id).sort());
    const lab = added.find((r) => r.type === 'lab');
    expect(lab.title).toBe('lab: Observation ×10, DiagnosticReport ×2');
    expect(lab.date).toMatch(/^\d{4}-\d{2}-\d{2}/);
    const other = added.find((r) => r.type === 'other');
    expect(other.resources).toEqual([{ resourceType: 'Patient', id: bundleA.entry[0].resource.id }]);
  }, 240_000);

  it('a lab-only grantee reads the lab resources exactly as they went in, and nothing else (exit 3)', async () => {
    const lab = added.find((r) => r.type === 'lab');
    const out = join(c.home, 'lab.json');
    const f = await ok([...as('mallory'), 'fetch', lab.id, '-o', out, '--no-receipt']);
    expect(f.signatureValid).toBe(true);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    expect(got).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const originals = bundleA.entry.filter((e: any) => ['laboratory', 'LAB'].includes(e.resource.category?.[0]?.coding?.[0]?.code));
    expect(got.entry).toEqual(originals.map((e: any) => ({ fullUrl: e.fullUrl, resource: e.resource })));
    for (const t of ['vitals', 'immunization', 'note', 'procedure', 'other']) {
      const r = await emr([
        ...as('mallory'),
        '--json',
        'fetch',
        added.find((x) => x.type === t).id,
        '-o',
        join(c.home, `no-${t}.json`),
        '--no-receipt',
      ]);
      expect(r.code, t).toBe(3);
    }
  }, 120_000);

  it('invalid FHIR is refused with exit 2 and the path of the first error; nothing is registered', async () => {
    const before = (await ok([...as('alice'), 'record', 'list', '--limit', '100000'])).records.length;
    const bad = structuredClone(bundleA);
    const i = bad.entry.findIndex((e: any) => e.resource.resourceType === 'Observation');
    bad.entry[i].resource.status = 'bogus';
    const r = await emr([...as('grey'), '--json', 'record', 'add', file('bad.json', JSON.stringify(bad)), '--patient', 'alice']);
    expect(r.code).toBe(2);
    expect(r.json?.error?.message).toContain(`Bundle.entry[${i}].resource.status`);
    const unknown = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: 1 }, colour: 'red' };
    const r2 = await emr([...as('grey'), '--json', 'record', 'add', file('obs.json', JSON.stringify(unknown)), '--patient', 'alice']);
    expect(r2.code).toBe(2);
    expect(r2.json?.error?.message).toContain('Observation.colour');
    expect((await ok([...as('alice'), 'record', 'list', '--limit', '100000'])).records.length).toBe(before);
  }, 120_000);

  it('a Bundle with types the author may not write stores nothing (exit 3)', async () => {
    const before = (await ok([...as('bob'), 'record', 'list', '--limit', '100000'])).records.length;
    const r = await emr([...as('grey'), '--json', 'record', 'add', fixture('synthea-patient-b.json'), '--patient', 'bob']);
    expect(r.code).toBe(3);
    expect((await ok([...as('bob'), 'record', 'list', '--limit', '100000'])).records.length).toBe(before);
  }, 120_000);

  it('a single resource: type inferred, --type overrides it; a non-FHIR JSON file is stored as a plain file', async () => {
    const obs = bundleA.entry.find(
      (e: any) => e.resource.resourceType === 'Observation' && e.resource.category[0].coding[0].code === 'vital-signs',
    ).resource;
    const one = (await ok([...as('grey'), 'record', 'add', file('vital.json', JSON.stringify(obs)), '--patient', 'alice'])).records;
    expect(one.map((r: any) => [r.type, r.resources[0].id])).toEqual([['vitals', obs.id]]);
    const plain = (await ok([...as('grey'), 'record', 'add', file('plain.json', '{"hello":"world"}'), '--patient', 'alice'])).records;
    expect(plain.map((r: any) => r.type)).toEqual(['note']);
    const r = await emr([
      ...as('grey'),
      '--json',
      'record',
      'add',
      fixture('synthea-patient-a.json'),
      '--patient',
      'alice',
      '--type',
      'lab',
    ]);
    expect(r.code).toBe(2);
  }, 120_000);
});

describe('record list filters and --details (issue 12 § 3)', () => {
  it('--type, --author, --limit with "N more", --details with titles and dates of care', async () => {
    const all = await ok([...as('alice'), 'record', 'list']);
    expect(all.records.length).toBe(all.total);
    const labs = await ok([...as('alice'), 'record', 'list', '--type', 'lab']);
    expect(labs.records.length).toBe(1);
    expect(new Set(labs.records.map((r: any) => r.type))).toEqual(new Set(['lab']));
    const two = await ok([...as('alice'), 'record', 'list', '--type', 'lab,vitals', '--limit', '2']);
    const n = all.records.filter((r: any) => ['lab', 'vitals'].includes(r.type)).length;
    expect(n).toBe(3); // lab and vitals from the Bundle, 1 vital added alone
    expect(two).toMatchObject({ total: n, more: n - 2 });
    expect(two.records.map((r: any) => r.id)).toEqual(
      all.records
        .filter((r: any) => ['lab', 'vitals'].includes(r.type))
        .slice(-2)
        .map((r: any) => r.id),
    );
    const human = await emr([...as('alice'), 'record', 'list', '--limit', '3']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${all.total - 3} more; use --limit`);
    expect((await ok([...as('alice'), 'record', 'list', '--author', 'house'])).records).toEqual([]);
    expect((await ok([...as('alice'), 'record', 'list', '--since', '2999-01-01'])).records).toEqual([]);
    expect((await ok([...as('alice'), 'record', 'list', '--until', '2000-01-01'])).records).toEqual([]);
    const bad = await emr([...as('alice'), '--json', 'record', 'list', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    const d = await ok([...as('alice'), 'record', 'list', '--type', 'lab', '--details']);
    const byResource = new Map(added.map((r) => [r.id, r]));
    for (const r of d.records) {
      expect(r.readable).toBe(true);
      expect(r.fhir).toBe(true);
      expect(r.title).toBe(byResource.get(r.id).title);
      expect(r.date).toBe(byResource.get(r.id).date);
    }
    // Authors print as known names (local profiles).
    const table = await emr([...as('alice'), 'record', 'list', '--type', 'lab', '--details', '--limit', '1']);
    expect(table.stdout).toMatch(/grey/);
    expect(table.stdout).toContain(d.records.at(-1).title);
  }, 120_000);

  it('the details cache is encrypted to the profile (no plaintext PHI on disk) and a lab-only grantee sees only labs', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(c.home, 'cache'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(join(c.home, 'cache', f));
      expect(bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      expect(bytes.includes(Buffer.from('Observation'))).toBe(false);
    }
    const m = await ok([...as('mallory'), 'record', 'list', '--patient', 'alice', '--details', '--type', 'lab,immunization']);
    for (const r of m.records) expect(r.readable, r.type).toBe(r.type === 'lab');
  }, 120_000);
});

describe('amendments: --supersedes (docs/FHIR.md § 5)', () => {
  it('a correction names the record it replaces; list marks it; fetch says so', async () => {
    const orig = (
      await ok([...as('grey'), 'record', 'add', file('cbc.txt', 'Hb 13.1'), '--patient', 'alice', '--type', 'lab', '--title', 'CBC'])
    ).records[0];
    const fix = (
      await ok([
        ...as('grey'),
        'record',
        'add',
        file('cbc2.txt', 'Hb 13.7'),
        '--patient',
        'alice',
        '--type',
        'lab',
        '--title',
        'CBC (corrected)',
        '--supersedes',
        orig.id,
        '--facility',
        'St. Elsewhere',
        '--encounter-start',
        '2026-11-20',
        '--encounter-end',
        '2026-11-21',
        '--mrn',
        'MRN-0042',
      ])
    ).records[0];
    const d = await ok([...as('alice'), 'record', 'list', '--type', 'lab', '--details']);
    const o = d.records.find((r: any) => r.id === orig.id);
    const f = d.records.find((r: any) => r.id === fix.id);
    expect(o.supersededBy).toBe(fix.id);
    expect(f).toMatchObject({
      supersedes: orig.id,
      facility: 'St. Elsewhere',
      encounterStart: '2026-11-20',
      encounterEnd: '2026-11-21',
      mrn: 'MRN-0042',
    });
    const got = await ok([...as('alice'), 'fetch', orig.id, '-o', join(c.home, 'cbc-old.txt'), '--no-receipt']);
    expect(got.supersededBy).toBe(fix.id);
    const human = await emr([...as('alice'), 'fetch', orig.id, '-o', join(c.home, 'cbc-old2.txt'), '--no-receipt']);
    expect(human.stderr).toContain(`superseded by record ${fix.id}`);
    const cur = await ok([...as('alice'), 'fetch', fix.id, '-o', join(c.home, 'cbc-new.txt'), '--no-receipt']);
    expect(cur.supersededBy).toBeUndefined();
    expect(cur.supersedes).toBe(orig.id);
  }, 120_000);

  it("negatives: another patient's record (exit 2), no write access (exit 3), another type (exit 2), unknown id (exit 7)", async () => {
    const bobs = (await ok([...as('grey'), 'record', 'add', file('bob.txt', 'bob lab'), '--patient', 'bob', '--type', 'lab'])).records[0];
    const alices = (await ok([...as('grey'), 'record', 'add', file('a.txt', 'alice lab'), '--patient', 'alice', '--type', 'lab']))
      .records[0];
    const before = (await ok([...as('alice'), 'record', 'list'])).total;
    const other = await emr([
      ...as('grey'),
      '--json',
      'record',
      'add',
      file('x1.txt', 'x'),
      '--patient',
      'alice',
      '--type',
      'lab',
      '--supersedes',
      bobs.id,
    ]);
    expect(other.code).toBe(2);
    expect(other.json?.error?.message).toContain('another patient');
    const noWrite = await emr([
      ...as('mallory'),
      '--json',
      'record',
      'add',
      file('x2.txt', 'x'),
      '--patient',
      'alice',
      '--type',
      'lab',
      '--supersedes',
      alices.id,
    ]);
    expect(noWrite.code).toBe(3);
    const otherType = await emr([
      ...as('grey'),
      '--json',
      'record',
      'add',
      file('x3.txt', 'x'),
      '--patient',
      'alice',
      '--type',
      'note',
      '--supersedes',
      alices.id,
    ]);
    expect(otherType.code).toBe(2);
    const missing = await emr([
      ...as('grey'),
      '--json',
      'record',
      'add',
      file('x4.txt', 'x'),
      '--patient',
      'alice',
      '--type',
      'lab',
      '--supersedes',
      '999999',
    ]);
    expect(missing.code).toBe(7);
    expect((await ok([...as('alice'), 'record', 'list'])).total).toBe(before);
  }, 120_000);
});

describe('FHIR out: record export --format fhir (docs/FHIR.md § 9)', () => {
  it('the patient gets one valid collection Bundle with the same resources (ids and codes) as went in, and DocumentReferences for files', async () => {
    const out = join(c.home, 'export.json');
    const d = await ok([...as('alice'), 'record', 'export', '--format', 'fhir', '-o', out]);
    const b = JSON.parse(readFileSync(out, 'utf8'));
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(d.resources).toBe(b.entry.length);
    const { createRequire } = await import('node:module');
    const { Fhir } = createRequire(import.meta.url)('fhir');
    const errors = new Fhir()
      .validate(b, { errorOnUnexpected: true })
      .messages.filter((m: any) => m.severity === 'error' || m.severity === 'fatal');
    expect(errors).toEqual([]);
    const ids = new Map(b.entry.map((e: any) => [e.resource.id, e.resource]));
    for (const e of bundleA.entry) {
      if (['Claim', 'ExplanationOfBenefit', 'Organization', 'Practitioner'].includes(e.resource.resourceType)) continue;
      expect(ids.get(e.resource.id), e.resource.id).toEqual(e.resource);
    }
    const docs = b.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === 'DocumentReference');
    expect(docs.length).toBeGreaterThan(0);
    const att = docs[0].content[0].attachment;
    // FHIR.md § 9.4: the plaintext's type, size and hashes; never the ciphertext's URL.
    expect(att.url).toBeUndefined();
    expect(att.hash).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(att.extension[0].valueString).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof att.size).toBe('number');
    const again = await emr([...as('alice'), '--json', 'record', 'export', '--format', 'fhir', '-o', out]);
    expect(again.code).toBe(2); // never overwrites without --force
    // The same command writes the CAR backup too (docs/STORAGE.md § CAR files).
    const car = await emr([...as('alice'), '--json', 'record', 'export', '--format', 'car', '-o', join(c.home, 'x.car')]);
    expect(car.code, car.stdout + car.stderr).toBe(0);
    expect(car.json?.data?.format).toBe('car');
  }, 180_000);

  it('a lab-only grantee exports the lab resources only', async () => {
    const out = join(c.home, 'mallory-export.json');
    const d = await ok([...as('mallory'), 'record', 'export', '--patient', 'alice', '--format', 'fhir', '-o', out]);
    const b = JSON.parse(readFileSync(out, 'utf8'));
    expect(new Set(b.entry.map((e: any) => e.resource.resourceType))).toEqual(
      new Set(['Observation', 'DiagnosticReport', 'DocumentReference']),
    );
    expect(b.entry.some((e: any) => e.resource.resourceType === 'Patient')).toBe(false);
    expect(d.unreadable.length).toBeGreaterThan(0);
  }, 180_000);

  it('a reader who may open none of the records gets a Bundle without `entry` (FHIR.md § 9: FHIR JSON has no empty arrays)', async () => {
    const out = join(c.home, 'house-export.json');
    const d = await ok([...as('house'), 'record', 'export', '--patient', 'alice', '--format', 'fhir', '-o', out]);
    expect(d.resources).toBe(0);
    expect(d.unreadable.length).toBeGreaterThan(0);
    const b = JSON.parse(readFileSync(out, 'utf8'));
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect('entry' in b).toBe(false);
  }, 180_000);
});
