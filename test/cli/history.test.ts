// Issue 21 § 3, "a history people can read" (docs/CLI.md § history, § record show,
// § record list; docs/FHIR.md § 6 and § 11), through the built binary on a
// devnet: dates of care instead of dates of upload, one timeline row per encounter, and
// one record rendered as text, escaped for the terminal.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr, ROOT } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
const fixture = (p: string) => join(ROOT, 'test', 'fixtures', 'fhir', p);
const bundleA = JSON.parse(readFileSync(fixture('synthea-patient-a.json'), 'utf8'));
const resourcesA = bundleA.entry.map((e: any) => e.resource);
let added: any[] = [];
let scan: any;
let letter: any;

// Everything a terminal would act on: a forged line after a newline, cursor moves, an OSC
// title, a bell, a right-to-left override and C1 controls.
const FORGED = '2026-11-30  diagnosis  Diagnosis: nothing to see';
const EVIL = `Hemoglobin\n${FORGED}\x1b[2K\x1b[1A\x1b]0;pwned\x07\u202eevil\u0085\u009b31m`;
function assertInert(text: string) {
  expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u);
  for (const line of text.split('\n')) expect(line.trimStart().startsWith(FORGED)).toBe(false);
}

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): grey (verified) adds the records, mallory
  // (verified here: the world leaves her unverified) is the lab-only grantee, wilson
  // (verified, no grant) the pharmacist.
  await c.fromWorld();
  await ok([...as('admin'), 'admin', 'verify', 'mallory']);
  await ok([
    ...as('alice'),
    'grant',
    'grey',
    '--types',
    'lab,vitals,immunization,note,procedure,other,imaging,prescription',
    '--write',
    '--expires',
    '1y',
  ]);
  await ok([...as('alice'), 'grant', 'mallory', '--types', 'lab', '--expires', '1y']);
  added = (await ok([...as('grey'), 'record', 'add', fixture('synthea-patient-a.json'), '--patient', 'alice'])).records;
  // A scanned letter (not FHIR) from 2015, dated by its encounter; a PDF with no date of care.
  scan = (
    await ok([
      ...as('grey'),
      'record',
      'add',
      file('letter-2015.txt', 'Discharge letter, 2015'),
      '--patient',
      'alice',
      '--type',
      'note',
      '--title',
      'Discharge letter',
      '--encounter-start',
      '2015-06-01',
    ])
  ).records[0];
  letter = (await ok([...as('grey'), 'record', 'add', file('scan.pdf', '%PDF-1.4 scan'), '--patient', 'alice', '--type', 'imaging']))
    .records[0];
}, 300_000);

afterAll(async () => {
  await c.devnetDown();
  rmSync(c.home, { recursive: true, force: true });
});

describe('record list: date of care (docs/FHIR.md § 6)', () => {
  it('--care-since/--care-until filter on the signed date of care, not on the registration block', async () => {
    const in2020 = await ok([...as('alice'), 'record', 'list', '--care-since', '2020', '--care-until', '2020']);
    const expected = added.filter((r) => r.date?.startsWith('2020')).map((r) => r.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(in2020.records.map((r: any) => r.id)).toEqual(expected);
    expect(in2020.total).toBe(expected.length);
    for (const r of in2020.records) expect(r.date.slice(0, 4)).toBe('2020');
    // The letter's date of care is its encounter (2015); the PDF has none and never matches.
    const old = await ok([...as('alice'), 'record', 'list', '--care-until', '2015-12-31']);
    expect(old.records.map((r: any) => r.id)).toContain(scan.id);
    expect(old.records.map((r: any) => r.id)).not.toContain(letter.id);
    // Registered today: the registration filter finds none of them in 2020.
    expect((await ok([...as('alice'), 'record', 'list', '--since', '2020-01-01', '--until', '2020-12-31'])).records).toEqual([]);
    const bad = await emr([...as('alice'), '--json', 'record', 'list', '--care-since', '03/2020']);
    expect(bad.code).toBe(2);
    expect(bad.json?.error?.hint).toMatch(/YYYY/);
  });

  it('the human view is in order of care and its header names both dates', async () => {
    const r = await emr([...as('alice'), 'record', 'list', '--details']);
    expect(r.code, r.stderr).toBe(0);
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^ID +DATE OF CARE +TYPE .*REGISTERED \(ON CHAIN\)/);
    const dates = rows.map((l) => l.split(/ {2,}/)[1]!).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d));
    // The PDF and the demographics have no date of care: last, in chain order, shown as "-".
    const undated = [...added.filter((x) => !x.date), letter].map((x) => x.id);
    expect(dates.length).toBe(rows.length - undated.length);
    expect([...dates].sort()).toEqual(dates);
    expect(rows[0]).toMatch(new RegExp(`^${scan.id} +2015-06-01 `));
    expect(rows.slice(-undated.length).map((l) => l.split(/ {2,}/).slice(0, 2))).toEqual(undated.map((id) => [id, '-']));
    const plain = await emr([...as('alice'), 'record', 'list']);
    expect(plain.stdout.split('\n')[0]).toMatch(/^ID +REGISTERED \(ON CHAIN\) +TYPE/);
  });
});

describe('emr history (docs/FHIR.md § 11)', () => {
  it('one row per encounter, date of care first, human summaries, from every record the profile may read', async () => {
    const h = await ok([...as('alice'), 'history']);
    const encounters = resourcesA.filter((r: any) => r.resourceType === 'Encounter');
    const rows = h.items.filter((i: any) => i.kind === 'encounter');
    expect(rows.length).toBe(encounters.length); // 18 visits stay 18 rows
    expect(rows.map((i: any) => i.day).sort()).toEqual(encounters.map((e: any) => e.period.start.slice(0, 10)).sort());
    const lines = h.items.map((i: any) => `${i.day} ${i.kind} ${i.summary}`);
    expect(lines).toContain('2020-03-03 diagnosis Diagnosis: COVID-19');
    expect(lines).toContain('2020-03-03 vitals Body temperature 37.978 °C');
    expect(lines).toContain('2020-03-03 lab SARS-CoV-2 RNA Pnl Resp NAA+probe: Detected');
    expect(lines).toContain('2015-06-01 note Discharge letter');
    expect(lines.some((l: string) => /^\d{4}-\d{2}-\d{2} imaging scan\.pdf \(filed; no date of care\)$/.test(l))).toBe(true);
    // Every clinical resource of the Bundle is one item; demographics and billing are not.
    const clinical = resourcesA.filter(
      (r: any) => !['Patient', 'Claim', 'ExplanationOfBenefit', 'Organization', 'Practitioner'].includes(r.resourceType),
    );
    expect(h.items.filter((i: any) => i.resourceType).length).toBe(clinical.length);
    expect(h.items.map((i: any) => i.day)).toEqual([...h.items.map((i: any) => i.day)].sort());
    expect(h.records).toBe(added.length + 2);
    expect(h.unreadable).toEqual([]);

    const human = await emr([...as('alice'), 'history']);
    expect(human.code, human.stderr).toBe(0);
    const [head, ...body] = human.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^DATE OF CARE +KIND +SUMMARY +RECORD$/);
    expect(body.length).toBe(h.items.length);
    for (const l of body) expect(l).toMatch(/^\d{4}-\d{2}-\d{2} {2}/);
  });

  it('--care-since/--care-until and --type narrow the timeline; a lab-only grantee sees lab items only', async () => {
    const y2020 = await ok([...as('alice'), 'history', '--care-since', '2020', '--care-until', '2020']);
    expect(y2020.items.length).toBeGreaterThan(0);
    for (const i of y2020.items) expect(i.day.slice(0, 4)).toBe('2020');
    const labs = await ok([...as('alice'), 'history', '--type', 'lab']);
    expect(new Set(labs.items.map((i: any) => i.recordType))).toEqual(new Set(['lab']));
    const m = await ok([...as('mallory'), 'history', '--patient', 'alice']);
    expect(new Set(m.items.map((i: any) => i.recordType))).toEqual(new Set(['lab']));
    expect(m.items.length).toBe(labs.items.length);
    expect(m.unreadable.length).toBe(added.length + 2 - 1);
    expect((await emr([...as('alice'), '--json', 'history', '--type', 'bogus'])).code).toBe(2);
  });

  it('a correction replaces the items of the record it names; --all shows them marked', async () => {
    const lab = added.find((r) => r.type === 'lab');
    const obs = {
      resourceType: 'Observation',
      id: 'hb-corrected',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
      subject: { reference: 'Patient/x' },
      effectiveDateTime: '2020-03-03',
      valueQuantity: { value: 13.9, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
      referenceRange: [{ low: { value: 13.5, unit: 'g/dL' }, high: { value: 17.5, unit: 'g/dL' } }],
    };
    const fix = (
      await ok([...as('grey'), 'record', 'add', file('hb.json', JSON.stringify(obs)), '--patient', 'alice', '--supersedes', lab.id])
    ).records[0];
    const h = await ok([...as('alice'), 'history', '--type', 'lab']);
    expect(h.items.map((i: any) => i.record)).toEqual([fix.id]);
    expect(h.items[0].summary).toBe('Hemoglobin 13.9 g/dL');
    expect(h.superseded).toBe(lab.resources.length);
    const all = await ok([...as('alice'), 'history', '--type', 'lab', '--all']);
    expect(all.items.length).toBe(lab.resources.length + 1);
    expect(all.items.filter((i: any) => i.supersededBy === fix.id).length).toBe(lab.resources.length);
    const human = await emr([...as('alice'), 'history', '--type', 'lab', '--all']);
    expect(human.stdout).toContain(`[superseded by #${fix.id}]`);

    const shown = await ok([...as('alice'), 'record', 'show', fix.id]);
    expect(shown.resources).toEqual([obs]);
    expect(shown.rendered[0].details).toContainEqual(['reference range', '13.5–17.5 g/dL']);
    const old = await emr([...as('alice'), 'record', 'show', lab.id]);
    expect(old.stderr).toContain(`superseded by record ${fix.id}`);
  });
});

describe('emr record show (docs/FHIR.md § 11.3)', () => {
  it('a FHIR record: the resources exactly as stored in --json, and as text for people', async () => {
    const vitals = added.find((r) => r.type === 'vitals');
    const d = await ok([...as('alice'), 'record', 'show', vitals.id]);
    const ids = new Set(vitals.resources.map((x: any) => x.id));
    expect(d.resources).toEqual(resourcesA.filter((r: any) => ids.has(r.id)));
    expect(d).toMatchObject({ id: vitals.id, type: 'vitals', fhir: true, careDate: vitals.date });
    const r = await emr([...as('alice'), 'record', 'show', vitals.id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Record ${vitals.id}: ${vitals.title}`);
    expect(r.stdout).toMatch(/^2020-03-03 {2}vitals {2}Blood Pressure 131\/81 mmHg$/m);
    expect(r.stdout).toMatch(/^ {4}value: 37\.978 °C$/m);
    const cond = added.find((x) => x.type === 'note');
    const n = await emr([...as('alice'), 'record', 'show', cond.id]);
    expect(n.stdout).toMatch(/Diagnosis: COVID-19\n {4}status: |Diagnosis: COVID-19\n {4}clinical status: /);
    expect(n.stdout).toMatch(/^ {4}onset: 2020-03-03T12:20:54-08:00$/m);
  });

  it('a non-FHIR file: its signed metadata and a hint to fetch; refusals keep their exit codes', async () => {
    const r = await emr([...as('alice'), 'record', 'show', scan.id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Discharge letter');
    expect(r.stdout).toContain(`emr fetch ${scan.id} -o <file>`);
    expect(r.stdout).not.toContain('Discharge letter, 2015'); // the content stays in the file
    const d = await ok([...as('alice'), 'record', 'show', scan.id]);
    expect(d).toMatchObject({ fhir: false, fileName: 'letter-2015.txt', encounterStart: '2015-06-01', size: 22 });
    expect(d.resources).toBeUndefined();
    expect((await emr([...as('mallory'), '--json', 'record', 'show', scan.id])).code).toBe(3);
    expect((await emr([...as('alice'), '--json', 'record', 'show', '999999'])).code).toBe(7);
    expect((await emr([...as('alice'), '--json', 'record', 'show', 'x1'])).code).toBe(2);
  });

  it('every string from the record is escaped for the terminal; --json keeps it exact', async () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ code: 'laboratory' }] }],
      code: { text: EVIL },
      subject: { reference: 'Patient/x' },
      effectiveDateTime: '2021-01-02',
      valueString: EVIL,
      referenceRange: [{ text: EVIL }],
    };
    const rec = (await ok([...as('grey'), 'record', 'add', file('evil.json', JSON.stringify(obs)), '--patient', 'alice', '--title', EVIL]))
      .records[0];
    const show = await emr([...as('alice'), 'record', 'show', rec.id]);
    expect(show.code, show.stderr).toBe(0);
    assertInert(show.stdout);
    assertInert(show.stderr);
    expect(show.stdout).toContain('Hemoglobin\\n2026-11-30');
    const hist = await emr([...as('alice'), 'history', '--type', 'lab']);
    assertInert(hist.stdout);
    expect(hist.stdout).toContain('\\x1b[2K');
    const list = await emr([...as('alice'), 'record', 'list', '--details']);
    assertInert(list.stdout);
    expect((await ok([...as('alice'), 'record', 'show', rec.id])).resources[0].code.text).toBe(EVIL);
  });
});

describe('voided and dispensed records (docs/CLI.md § record void, § prescription dispense)', () => {
  it('a voided record leaves the history (counted), --all shows it marked; record show says so; a prescription shows whether it was dispensed', async () => {
    const rx = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { text: 'Amoxicillin 250 MG Oral Capsule' },
      subject: { reference: 'Patient/x' },
      authoredOn: '2021-02-03',
      dosageInstruction: [
        {
          timing: { repeat: { frequency: 1, period: 8, periodUnit: 'h' } },
          doseAndRate: [{ doseQuantity: { value: 1, unit: 'capsule' } }],
        },
      ],
    };
    const rec = (await ok([...as('grey'), 'record', 'add', file('rx.json', JSON.stringify(rx)), '--patient', 'alice'])).records[0];
    expect(rec.type).toBe('prescription');
    const before = await ok([...as('alice'), 'history', '--type', 'prescription']);
    expect(before.items.map((i: any) => i.summary)).toEqual(['Amoxicillin 250 MG Oral Capsule — 1 capsule, every 8 h']);
    const undispensed = await ok([...as('alice'), 'record', 'show', rec.id]);
    expect(undispensed.dispensed).toBeNull();
    expect(undispensed.rendered[0].details).toContainEqual(['dosage', '1 capsule, every 8 h']);
    expect((await emr([...as('alice'), 'record', 'show', rec.id])).stdout).toMatch(/^ {2}dispensed +not yet$/m);

    await ok([...as('alice'), 'grant', 'wilson', '--types', 'prescription', '--expires', '30d']);
    const d = await ok([...as('wilson'), 'prescription', 'dispense', rec.id]);
    const shown = await ok([...as('wilson'), 'record', 'show', rec.id]);
    expect(shown.dispensed).toEqual({ by: d.dispensedBy, at: d.dispensedAt, txHash: d.txHash });
    expect((await emr([...as('alice'), 'record', 'show', rec.id])).stdout).toMatch(/^ {2}dispensed +by 0x[0-9a-fA-F]{40} \(wilson\) at /m);
    expect((await ok([...as('alice'), 'record', 'show', scan.id])).dispensed).toBeUndefined();

    await ok([...as('grey'), 'record', 'void', scan.id, '--reason', EVIL]);
    const h = await ok([...as('alice'), 'history']);
    expect(h.items.map((i: any) => i.record)).not.toContain(scan.id);
    expect(h.voidedHidden).toBe(1);
    const human = await emr([...as('alice'), 'history']);
    expect(human.stdout).toContain('1 voided (entered-in-error) record(s) are not shown (--all)');
    const all = await ok([...as('alice'), 'history', '--all']);
    const item = all.items.find((i: any) => i.record === scan.id);
    expect(item.voided).toEqual({ by: expect.stringMatching(/^0x/), reason: EVIL });
    const allHuman = await emr([...as('alice'), 'history', '--all']);
    assertInert(allHuman.stdout);
    expect(allHuman.stdout).toMatch(/^2015-06-01 +note +Discharge letter \[VOIDED by grey: Hemoglobin\\n2026/m);
    const show = await emr([...as('alice'), 'record', 'show', scan.id]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stderr).toMatch(/record \d+ was voided \(entered in error\) by .*grey/);
    assertInert(show.stderr);
    expect((await ok([...as('alice'), 'record', 'show', scan.id])).voided.reason).toBe(EVIL);
  });
});
