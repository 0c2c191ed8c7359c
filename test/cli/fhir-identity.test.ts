// Issue 21 § 1: the right patient, or nothing (docs/FHIR.md § 3.3), through the built binary
// on a devnet. Before: `record add patient-d.json --patient les` filed another person's
// Bundle (demographics included) into Les's chart, silently and for good.

import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr, ROOT } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
const fixture = (p: string) => join(ROOT, 'test', 'fixtures', 'fhir', p);
const A = fixture('synthea-patient-a.json');
const B = fixture('synthea-patient-b.json');
const bundleA = JSON.parse(readFileSync(A, 'utf8'));
const mrnOf = (b: any) => b.entry[0].resource.identifier.find((i: any) => i.type?.coding?.[0]?.code === 'MR').value as string;
const WRITE = 'lab,vitals,immunization,note,procedure,other';
const count = async (who: string) => (await ok([...as(who), 'record', 'list', '--limit', '100000'])).total as number;

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): patients alice and bob (registered), providers
  // grey and house (verified). Each patient's write grants, as before.
  await c.fromWorld();
  await ok([...as('alice'), 'grant', 'grey', '--types', WRITE, '--write', '--expires', '1y']);
  await ok([...as('alice'), 'grant', 'house', '--types', WRITE, '--write', '--expires', '1y']);
  await ok([...as('bob'), 'grant', 'grey', '--types', WRITE, '--write', '--expires', '1y']);
  // The first import for alice's address: the site's index learns who alice is.
  await ok([...as('grey'), 'record', 'add', A, '--patient', 'alice']);
}, 600_000);

const jobDir = mkdtempSync(join(tmpdir(), 'emr-identity-batch-'));

afterAll(async () => {
  rmSync(jobDir, { recursive: true, force: true });
  await c.devnetDown();
});

describe('the right patient, or nothing (docs/FHIR.md § 3.3)', () => {
  it('the patient index is encrypted to the profile: no demographics in plaintext on disk', () => {
    const dir = join(c.home, 'patients');
    const files = readdirSync(dir);
    expect(files.length).toBe(1);
    const bytes = readFileSync(join(dir, files[0]!));
    expect(bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(bytes.includes(Buffer.from(bundleA.entry[0].resource.name[0].family))).toBe(false);
    expect(bytes.includes(Buffer.from(mrnOf(bundleA)))).toBe(false);
  });

  it("MUST (FHIR.md § 3.3): another person's Bundle for a known patient exits 4 PATIENT_MISMATCH naming the fields; nothing is stored", async () => {
    const before = await count('alice');
    const r = await emr([...as('grey'), '--json', 'record', 'add', B, '--patient', 'alice']);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.json!.error!.code).toBe('PATIENT_MISMATCH');
    for (const f of ['birthDate', 'family name', 'identifier http://hospital.smarthealthit.org'])
      expect(r.json!.error!.message).toContain(f);
    expect(await count('alice')).toBe(before);
  }, 120_000);

  it('MUST (FHIR.md § 3.3): a Patient already indexed under another address exits 4; nothing is stored for the other patient', async () => {
    const r = await emr([...as('grey'), '--json', 'record', 'add', A, '--patient', 'bob']);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.json!.error!.code).toBe('PATIENT_MISMATCH');
    expect(r.json!.error!.message).toMatch(/already indexed under 0x[0-9a-f]{40}/);
    expect(await count('bob')).toBe(0);
  }, 120_000);

  it("MUST (FHIR.md § 3.3): --mrn is checked against the Bundle's identifiers", async () => {
    const before = await count('alice');
    const r = await emr([...as('grey'), '--json', 'record', 'add', A, '--patient', 'alice', '--mrn', 'MRN-NOT-HERS']);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.json!.error!.code).toBe('PATIENT_MISMATCH');
    expect(r.json!.error!.message).toContain('mrn');
    expect(await count('alice')).toBe(before);
    await ok([...as('grey'), 'record', 'add', A, '--patient', 'alice', '--mrn', mrnOf(bundleA)]);
  }, 180_000);

  it('MUST (FHIR.md § 3.3): without an index of its own, a provider is checked against the demographics record it may read', async () => {
    // house has never imported for alice, but may read her `other` records (the Patient record grey filed).
    const before = await count('alice');
    const r = await emr([...as('house'), '--json', 'record', 'add', B, '--patient', 'alice']);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.json!.error!.code).toBe('PATIENT_MISMATCH');
    expect(await count('alice')).toBe(before);
  }, 120_000);

  it('MUST (FHIR.md § 3.3): a real correction passes with --accept-patient-change <reason>, and the index follows it', async () => {
    const renamed = structuredClone(bundleA);
    renamed.entry[0].resource.name[0].family = 'Married-Name';
    const f = file('renamed.json', JSON.stringify(renamed));
    const refused = await emr([...as('grey'), '--json', 'record', 'add', f, '--patient', 'alice']);
    expect(refused.code).toBe(4);
    expect(refused.json!.error!.message).toContain('family name');
    const empty = await emr([...as('grey'), '--json', 'record', 'add', f, '--patient', 'alice', '--accept-patient-change', '  ']);
    expect(empty.code).toBe(2);
    const d = await ok([...as('grey'), 'record', 'add', f, '--patient', 'alice', '--accept-patient-change', 'name changed on marriage']);
    expect(d.patientChange).toEqual({ fields: ['family name'], reason: 'name changed on marriage' });
    // The index now knows the new name: the same file passes without the flag.
    const again = await ok([...as('grey'), 'record', 'add', f, '--patient', 'alice']);
    expect(again.patientChange).toBeUndefined();
  }, 240_000);

  it('MUST (FHIR.md § 3.3): batch add checks each FHIR row; a mismatched row fails alone (PATIENT_MISMATCH, exit 4)', async () => {
    // The job's files live outside the emr home (MANIFEST.md § 3.1 confinement).
    const dir = jobDir;
    copyFileSync(B, join(dir, 'b.json'));
    writeFileSync(join(dir, 'plain.txt'), 'a plain note\n');
    const alice = c.address('alice');
    writeFileSync(join(dir, 'm.csv'), `file,patient,type,title\nb.json,${alice},,\nplain.txt,${alice},note,plain\n`);
    const before = await count('alice');
    const r = await emr([...as('grey'), '--json', 'batch', 'add', join(dir, 'm.csv')]);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const rows = r.json!.data.rows;
    expect(rows.find((x: any) => x.line === 2)).toMatchObject({ status: 'failed', error: { code: 'PATIENT_MISMATCH' } });
    expect(rows.find((x: any) => x.line === 3)).toMatchObject({ status: 'added' });
    expect(await count('alice')).toBe(before + 1);
  }, 240_000);
});
