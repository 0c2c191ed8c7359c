// docs/FHIR.md § 3: the file name a FHIR record is stored under, one rule for `record add`
// and `batch add` (src/fhir/split.ts recordFileName).
import { describe, expect, it } from 'vitest';
import { recordFileName } from '../../src/fhir/split.js';

describe('recordFileName (FHIR.md § 3)', () => {
  it('a Bundle part is <file>.<type>.json, the Patient part <file>.patient.json; a single resource <file>.json', () => {
    expect(recordFileName('in/visit.json', { resourceType: 'Bundle', type: 'lab', title: 'Lab results' })).toBe('visit.lab.json');
    expect(recordFileName('in/visit.JSON', { resourceType: 'Bundle', type: 'other', title: 'Patient: Ann' })).toBe('visit.patient.json');
    expect(recordFileName('obs.json', { resourceType: 'Observation', type: 'lab', title: 'Hb' })).toBe('obs.json');
  });

  it('keeps only the last path segment, / or \\ (the name is a label, not a path)', () => {
    expect(recordFileName('/a/b\\c/x.json', { resourceType: 'Observation', type: 'lab', title: 'Hb' })).toBe('x.json');
  });
});
