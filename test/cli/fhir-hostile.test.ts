// Red team (issue 8's attacker, wave 3's FHIR surface; issue 20 point 7): FHIR files from
// another system are hostile input. Through the built binary on a devnet (docs/FHIR.md § 2,
// § 3.1, MANIFEST.md § 3.2).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csv, makeWorld, type Patient, type World } from '../batch/fixture.js';

let w: World;
let p: Patient[];

/** A valid Observation whose extensions nest `n` levels deep (complex extensions may nest). */
function deepObservation(n: number): string {
  return (
    '{"resourceType":"Observation","status":"final","code":{"text":"glucose"},"extension":' +
    '[{"url":"http://example.org/x","extension":'.repeat(n) +
    '[{"url":"http://example.org/y","valueString":"a"}]' +
    '}]'.repeat(n) +
    '}'
  );
}

beforeAll(async () => {
  w = await makeWorld();
  p = await w.patients(2);
}, 180_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

describe('FHIR nesting depth (docs/FHIR.md § 2)', () => {
  const dir = () => join(w.data, 'deep');

  it('a FHIR file nested deeper than MAX_FHIR_DEPTH MUST be refused with exit 2 and a path, not crash the validator (exit 1); nothing is registered', async () => {
    mkdirSync(dir(), { recursive: true });
    // ~100 KB: 3,000 nested extensions overflowed the validator's stack (RangeError, exit 1).
    writeFileSync(join(dir(), 'deep.json'), deepObservation(3000));
    const r = await w.run(['--json', 'record', 'add', join(dir(), 'deep.json'), '--patient', p[0]!.address]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json!.error).toMatchObject({ code: 'USAGE' });
    expect(r.json!.error!.message).toMatch(/nest/);
    const list = await w.run(['--json', 'record', 'list', '--patient', p[0]!.address]);
    expect(list.json!.data.records).toEqual([]);
  }, 120_000);

  it('in a batch, a too-deep FHIR row MUST fail alone (journal: failed); the other rows are added', async () => {
    writeFileSync(join(dir(), 'ok.txt'), 'a plain note\n');
    writeFileSync(
      join(dir(), 'm.csv'),
      csv([
        { file: 'deep.json', patient: p[1]!.address },
        { file: 'ok.txt', patient: p[1]!.address, type: 'note', title: 'plain' },
      ]),
    );
    const r = await w.run(['--json', 'batch', 'add', join(dir(), 'm.csv')], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(2);
    const rows = r.json!.data.rows;
    expect(rows.find((x: any) => x.line === 2)).toMatchObject({ status: 'failed', error: { code: 'USAGE' } });
    expect(rows.find((x: any) => x.line === 3)).toMatchObject({ status: 'added' });
  }, 180_000);
});

const lab = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }];
const obs = (id: string, subject: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: lab,
  code: { text: 'glucose' },
  subject,
  effectiveDateTime: '2020-01-02',
  valueQuantity: { value: 5.4, unit: 'mmol/L' },
  ...extra,
});
const patient = (id: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:oid:1.2.3.4', value: `mrn-${id}` }],
  name: [{ family: 'Doe', given: ['Jan'] }],
  birthDate: '1980-05-06',
});
const bundle = (...entries: Array<[string | undefined, Record<string, unknown>]>) =>
  JSON.stringify({
    resourceType: 'Bundle',
    type: 'collection',
    entry: entries.map(([fullUrl, resource]) => (fullUrl ? { fullUrl, resource } : { resource })),
  });

/** Hostile Bundles (issue 20 point 7, issue 21 § 1): each is about more than one patient, or hides one. */
const HOSTILE: Record<string, { file: string; why: RegExp }> = {
  'no Patient, two subjects': {
    file: bundle([undefined, obs('o1', { reference: 'Patient/alice-1' })], [undefined, obs('o2', { reference: 'Patient/bob-2' })]),
    why: /another patient/,
  },
  'absolute-URL subject of another server': {
    file: bundle(
      ['urn:uuid:00000000-0000-4000-8000-000000000001', patient('p1')],
      [undefined, obs('o1', { reference: 'https://evil.example/fhir/Patient/p1' })],
    ),
    why: /another patient/,
  },
  'identifier-only subject that is not the Patient': {
    file: bundle(
      ['urn:uuid:00000000-0000-4000-8000-000000000001', patient('p1')],
      [undefined, obs('o1', { identifier: { system: 'urn:oid:1.2.3.4', value: 'mrn-someone-else' } })],
    ),
    why: /identifier/,
  },
  'a Patient contained in an Observation': {
    file: bundle(
      ['urn:uuid:00000000-0000-4000-8000-000000000001', patient('p1')],
      [
        undefined,
        obs('o1', { reference: '#p' }, { contained: [{ ...patient('p'), address: [{ line: ['1 Secret Lane'], city: 'Springfield' }] }] }),
      ],
    ),
    why: /holds a Patient/,
  },
  'a contained Patient in a single resource': {
    file: JSON.stringify(obs('o1', { reference: '#p' }, { contained: [{ ...patient('p'), address: [{ line: ['1 Secret Lane'] }] }] })),
    why: /holds a Patient/,
  },
  'a subject named by display text only': {
    file: bundle([undefined, obs('o1', { display: 'Jan Doe' })]),
    why: /display text/,
  },
  'a literal and an identifier-only subject, no Patient': {
    file: bundle(
      [undefined, obs('o1', { reference: 'Patient/alice-1' })],
      [undefined, obs('o2', { identifier: { system: 'urn:oid:1.2.3.4', value: 'x' } })],
    ),
    why: /another patient/,
  },
  'the same fullUrl twice (bdl-7)': {
    file: bundle(
      ['urn:uuid:00000000-0000-4000-8000-000000000002', obs('o1', { reference: 'Patient/a' })],
      ['urn:uuid:00000000-0000-4000-8000-000000000002', obs('o2', { reference: 'Patient/a' })],
    ),
    why: /bdl-7/,
  },
};

describe('one patient per Bundle, really (docs/FHIR.md § 3.1; issue 20 point 7)', () => {
  const dir = () => join(w.data, 'hostile');

  it('MUST (FHIR.md § 3.1): every hostile Bundle is refused with exit 2 naming why, and nothing is stored or registered', async () => {
    mkdirSync(dir(), { recursive: true });
    for (const [name, h] of Object.entries(HOSTILE)) {
      const f = join(dir(), `${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
      writeFileSync(f, h.file);
      const r = await w.run(['--json', 'record', 'add', f, '--patient', p[0]!.address]);
      expect(r.code, `${name}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.json!.error!.message, name).toMatch(h.why);
    }
    const list = await w.run(['--json', 'record', 'list', '--patient', p[0]!.address]);
    expect(list.json!.data.records).toEqual([]);
  }, 180_000);

  it('the same patient named every legal way (urn:uuid, absolute fullUrl, Patient/<id>, identifier) is one patient: accepted', async () => {
    const full = 'https://hospital.example/fhir/Patient/p9';
    const f = join(dir(), 'ok.json');
    writeFileSync(
      f,
      bundle(
        [full, patient('p9')],
        [undefined, obs('o1', { reference: full })],
        [undefined, obs('o2', { reference: 'Patient/p9' })],
        [undefined, obs('o3', { identifier: { system: 'urn:oid:1.2.3.4', value: 'mrn-p9' } })],
      ),
    );
    const r = await w.run(['--json', 'record', 'add', f, '--patient', p[1]!.address]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json!.data.records.map((x: any) => x.type).sort()).toEqual(['lab', 'other']);
  }, 120_000);

  it('MUST (FHIR.md § 3.1): in a batch, each hostile row fails alone; the good row is added', async () => {
    const names = Object.keys(HOSTILE).map((n) => `${n.replace(/[^a-z0-9]+/gi, '-')}.json`);
    writeFileSync(join(dir(), 'good.txt'), 'a plain note\n');
    writeFileSync(
      join(dir(), 'm.csv'),
      csv([
        ...names.map((file) => ({ file, patient: p[0]!.address })),
        { file: 'good.txt', patient: p[0]!.address, type: 'note', title: 'plain' },
      ]),
    );
    const r = await w.run(['--json', 'batch', 'add', join(dir(), 'm.csv')], { timeoutMs: 120_000 });
    const rows = r.json!.data.rows;
    for (let i = 0; i < names.length; i++)
      expect(
        rows.find((x: any) => x.line === i + 2),
        names[i],
      ).toMatchObject({ status: 'failed', error: { code: 'USAGE' } });
    expect(rows.find((x: any) => x.line === names.length + 2)).toMatchObject({ status: 'added' });
    const list = await w.run(['--json', 'record', 'list', '--patient', p[0]!.address]);
    expect(list.json!.data.records.map((x: any) => x.type)).toEqual(['note']);
  }, 180_000);
});
