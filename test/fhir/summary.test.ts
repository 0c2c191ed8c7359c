// docs/FHIR.md § 11: FHIR resources as text a person reads (src/fhir/summary.ts), on both
// Synthea patients of test/fixtures/fhir and on hand-made resources for what Synthea lacks
// (reference ranges, dosages, allergies, hostile shapes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compareItems,
  conceptText,
  dosageText,
  historyItemOf,
  quantityText,
  renderResource,
  resourcesOf,
  summaryOf,
} from '../../src/fhir/summary.js';

const fixture = (p: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'fhir', p), 'utf8'));
const patients = { a: fixture('synthea-patient-a.json'), b: fixture('synthea-patient-b.json') };

const history = (bundle: unknown) =>
  resourcesOf(bundle)
    .map(historyItemOf)
    .filter((x) => !!x)
    .sort(compareItems);

describe('history items (FHIR.md § 11.1)', () => {
  it('MUST: one item per Encounter: 18 (patient a) and 15 (patient b) visits stay 18 and 15 rows, each on its own day', () => {
    for (const [who, n] of [
      ['a', 18],
      ['b', 15],
    ] as const) {
      const enc = history(patients[who]).filter((i) => i.kind === 'encounter');
      expect(enc.length).toBe(n);
      const src = resourcesOf(patients[who]).filter((r) => r.resourceType === 'Encounter');
      expect(enc.map((e) => e.day).sort()).toEqual(src.map((r) => r.period.start.slice(0, 10)).sort());
      expect(enc[0]!.summary).toBe(
        `Well child visit (outpatient) at ${src.find((r) => r.period.start.startsWith(enc[0]!.day))!.serviceProvider.display}`,
      );
    }
  });

  it('MUST: billing, directory data and demographics are not history; every other dated resource is', () => {
    for (const p of Object.values(patients)) {
      const items = history(p);
      const types = new Set(items.map((i) => i.resourceType));
      for (const t of ['Patient', 'Claim', 'ExplanationOfBenefit', 'Organization', 'Practitioner']) expect(types.has(t)).toBe(false);
      const clinical = resourcesOf(p).filter(
        (r) => !['Patient', 'Claim', 'ExplanationOfBenefit', 'Organization', 'Practitioner'].includes(r.resourceType),
      );
      expect(items.length).toBe(clinical.length);
    }
  });

  it('MUST: the day is the calendar day as written (no shift to UTC), and the timeline is in order, encounter first', () => {
    const items = history(patients.b);
    // 2020-03-07T10:01:22-08:00 is 18:01 UTC the same day; a late-evening time would shift.
    const late = historyItemOf({
      resourceType: 'Procedure',
      status: 'completed',
      code: { text: 'X' },
      performedDateTime: '2020-03-07T23:30:00-08:00',
    });
    expect(late!.day).toBe('2020-03-07');
    for (let i = 1; i < items.length; i++) expect(items[i - 1]!.day <= items[i]!.day).toBe(true);
    const covidDay = items.filter((i) => i.day === '2020-03-07');
    expect(covidDay[0]!.kind).toBe('encounter');
    expect(covidDay[0]!.summary).toMatch(/^Encounter for symptom \(outpatient\)/);
  });

  it('summaries: values with units, coded results, diagnoses without SNOMED tags, vaccines, blood pressure', () => {
    const lines = history(patients.a).map((i) => `${i.day} ${i.kind} ${i.summary}`);
    expect(lines).toContain('2020-03-03 vitals Body temperature 37.978 °C');
    expect(lines).toContain('2020-03-03 vitals Blood Pressure 131/81 mmHg');
    expect(lines).toContain('2020-03-03 vitals Oxygen saturation in Arterial blood 78.02%');
    expect(lines).toContain('2020-03-03 lab SARS-CoV-2 RNA Pnl Resp NAA+probe: Detected');
    expect(lines).toContain('2020-03-03 diagnosis Diagnosis: COVID-19');
    expect(lines).toContain('2020-03-03 diagnosis Diagnosis: Fever');
    expect(lines.some((l) => /^\d{4}-\d{2}-\d{2} immunization Influenza, seasonal, injectable, preservative free$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('(finding)'))).toBe(false);
    const b = history(patients.b).map((i) => `${i.day} ${i.kind} ${i.summary}`);
    expect(b).toContain('2020-03-07 diagnosis Diagnosis: Headache');
    expect(b).toContain('2020-03-07 procedure Face mask');
  });

  it('an observation with a reference range and an interpretation; a lab value as "Hemoglobin 13.9 g/dL"', () => {
    const hb = {
      resourceType: 'Observation',
      id: 'hb',
      status: 'final',
      category: [{ coding: [{ code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
      effectiveDateTime: '2019-06-01',
      valueQuantity: { value: 13.9, unit: 'g/dL' },
      referenceRange: [{ low: { value: 13.5, unit: 'g/dL' }, high: { value: 17.5, unit: 'g/dL' } }],
      interpretation: [{ coding: [{ code: 'N', display: 'Normal' }] }],
    };
    expect(historyItemOf(hb)).toMatchObject({ day: '2019-06-01', kind: 'lab', summary: 'Hemoglobin 13.9 g/dL (Normal)' });
    const r = renderResource(hb);
    expect(r.details).toContainEqual(['value', '13.9 g/dL']);
    expect(r.details).toContainEqual(['reference range', '13.5–17.5 g/dL']);
    expect(r.details).toContainEqual(['interpretation', 'Normal']);
  });

  it('conditions with onset, medications with dosage, allergies, immunizations and procedures render their facts', () => {
    const cond = resourcesOf(patients.b).find((r) => r.resourceType === 'Condition')!;
    expect(renderResource(cond).details).toEqual(
      expect.arrayContaining([
        ['onset', '2020-03-07T10:01:22-08:00'],
        ['abated', '2020-03-30T12:08:22-07:00'],
        ['clinical status', 'resolved'],
      ]),
    );
    const med = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { text: 'Amoxicillin 250 MG Oral Capsule' },
      subject: { reference: 'Patient/p' },
      authoredOn: '2021-02-03',
      dosageInstruction: [
        {
          timing: { repeat: { frequency: 1, period: 8, periodUnit: 'h' } },
          doseAndRate: [{ doseQuantity: { value: 1, unit: 'capsule' } }],
        },
      ],
    };
    expect(summaryOf(med)).toBe('Amoxicillin 250 MG Oral Capsule — 1 capsule, every 8 h');
    expect(renderResource(med).details).toContainEqual(['dosage', '1 capsule, every 8 h']);
    expect(dosageText({ text: 'Take two at night' })).toBe('Take two at night');
    expect(dosageText({ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } }, asNeededBoolean: true })).toBe(
      '3 times a day, as needed',
    );
    expect(summaryOf({ resourceType: 'AllergyIntolerance', criticality: 'high', code: { text: 'Penicillin' } })).toBe(
      'Allergy: Penicillin (high criticality)',
    );
    const imm = resourcesOf(patients.a).find((r) => r.resourceType === 'Immunization')!;
    expect(renderResource(imm).details).toContainEqual(['given', imm.occurrenceDateTime]);
    const proc = resourcesOf(patients.b).find((r) => r.resourceType === 'Procedure')!;
    expect(renderResource(proc).details).toContainEqual(['reason', 'Suspected COVID-19']);
    expect(summaryOf({ resourceType: 'Immunization', status: 'not-done', vaccineCode: { text: 'MMR' } })).toBe('MMR (not given)');
    expect(summaryOf({ resourceType: 'Condition', verificationStatus: {}, status: 'entered-in-error', code: { text: 'Flu' } })).toBe(
      'Diagnosis: Flu [entered in error]',
    );
  });

  it('hostile shapes: wrong types, missing elements, huge strings, a non-Bundle; nothing throws, text is bounded', () => {
    const weird = [
      { resourceType: 'Observation', code: 42, valueQuantity: { value: 'NaN' }, effectiveDateTime: '2020-01-01' },
      { resourceType: 'Condition', code: { coding: 'x' }, onsetDateTime: '2020-01-01' },
      { resourceType: 'Encounter', class: null, type: 'x', period: { start: '2020-01-01' } },
      { resourceType: 'MedicationRequest', dosageInstruction: [null, 5], authoredOn: '2020-01-01' },
      { resourceType: 'Observation', code: { text: 'x'.repeat(100_000) }, valueString: 'y'.repeat(100_000), effectiveDateTime: '2020' },
      { resourceType: 'Observation', effectiveDateTime: 'not a date' },
    ];
    for (const r of weird) {
      expect(() => renderResource(r)).not.toThrow();
      const i = historyItemOf(r);
      if (i) expect(i.summary.length).toBeLessThan(500);
    }
    expect(historyItemOf(weird[5]!)).toBeUndefined();
    expect(historyItemOf(weird[4]!)!.day).toBe('2020');
    expect(resourcesOf({ resourceType: 'Bundle', entry: [null, { resource: 'x' }, { resource: { resourceType: 'Flag' } }] })).toEqual([
      { resourceType: 'Flag' },
    ]);
    expect(resourcesOf('nope')).toEqual([]);
    expect(conceptText({ coding: [{ code: 'X1' }] })).toBe('X1');
    expect(quantityText({ value: 5, comparator: '<', unit: 'mg' })).toBe('<5 mg');
  });
});
