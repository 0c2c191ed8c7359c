// Issue 12 in batch manifests (docs/MANIFEST.md § 3.2, § 3.3): a row may name a FHIR R4
// file (a resource or a patient Bundle) as `record add` takes it, and carry the encounter
// fields of `record add`. Through the binary on a devnet, with the Synthea fixtures.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilFund } from '../../src/chain/anvil.js';
import { connectChain } from '../../src/chain/client.js';
import { grant } from '../../src/chain/grant.js';
import { register } from '../../src/chain/register.js';
import { decryptBundle } from '../../src/crypto/bundle.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { typeOf } from '../../src/fhir/split.js';
import { openStore } from '../../src/ipfs/store.js';
import { deriveTypeKey } from '../../src/keys/derive.js';
import { typeSlots } from '../../src/record-types.js';
import { publishKeyDelivery } from '../../src/records/key-delivery.js';
import { recordsOf } from '../batch/check.js';
import { csv, makeWorld, type Patient, type World } from '../batch/fixture.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'fhir');
const COLS = ['file', 'patient', 'type', 'title', 'facility', 'encounter_start', 'encounter_end', 'mrn'];
let w: World;
let p: Patient[];
const bundleA = JSON.parse(readFileSync(join(FIX, 'synthea-patient-a.json'), 'utf8'));

/** Each record's signed metadata and plaintext, opened with the patient's identity. */
async function open(home: string, cid: string, identity: string) {
  const store = await openStore({ home });
  const dir = mkdtempSync(join(tmpdir(), 'emr-bfhir-'));
  try {
    const chunks: Uint8Array[] = [];
    for await (const c of store.cat(cid)) chunks.push(c);
    writeFileSync(join(dir, 'x.age'), Buffer.concat(chunks));
    const res = await decryptBundle({ input: join(dir, 'x.age'), output: join(dir, 'x.out'), identities: [identity] });
    if (!res.signed) throw new Error('unsigned bundle');
    return { meta: res.metadata as unknown as Record<string, unknown>, text: readFileSync(join(dir, 'x.out'), 'utf8') };
  } finally {
    await store.close();
  }
}

const journalOf = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  w = await makeWorld();
  p = await w.patients(3);
}, 180_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

describe('FHIR rows and encounter columns in batch manifests (MANIFEST.md § 3.2, § 3.3)', () => {
  const dir = () => join(w.data, 'fhirjob');
  let data: any;

  it("a Bundle row MUST be split one record per type, each holding only its type's resources; a bad FHIR row MUST fail alone before anything of it is stored (journal: failed); encounter columns MUST be signed inside the record", async () => {
    mkdirSync(dir(), { recursive: true });
    copyFileSync(join(FIX, 'synthea-patient-a.json'), join(dir(), 'a.json'));
    const bad = structuredClone(bundleA);
    const i = bad.entry.findIndex((e: any) => e.resource.resourceType === 'Observation');
    bad.entry[i].resource.status = 'bogus';
    writeFileSync(join(dir(), 'bad.json'), JSON.stringify(bad));
    const vital = bundleA.entry.find(
      (e: any) => e.resource.resourceType === 'Observation' && e.resource.category[0].coding[0].code === 'vital-signs',
    ).resource;
    writeFileSync(join(dir(), 'vital.json'), JSON.stringify(vital));
    writeFileSync(join(dir(), 'visit.txt'), 'discharge summary\n');
    writeFileSync(
      join(dir(), 'm.csv'),
      csv(
        [
          { file: 'a.json', patient: p[0]!.address },
          { file: 'bad.json', patient: p[1]!.address },
          {
            file: 'visit.txt',
            patient: p[2]!.address,
            type: 'note',
            title: 'visit',
            facility: 'St. Elsewhere, ward 4',
            encounter_start: '2026-11-20T09:30:00Z',
            encounter_end: '2026-11-21',
            mrn: 'A-1001',
          },
          { file: 'vital.json', patient: p[2]!.address, facility: 'St. Elsewhere' },
        ],
        COLS,
      ),
    );
    const r = await w.run(['--json', 'batch', 'add', join(dir(), 'm.csv')]);
    // The failed row gives the exit code of its class (USAGE); the rest went on.
    expect(r.code, r.stderr).toBe(2);
    data = r.json!.data;
    const byLine = (l: number) => data.rows.filter((x: any) => x.line === l);
    const bundleRows = byLine(2);
    const expected = new Set(bundleA.entry.map((e: any) => typeOf(e.resource, false)).filter((t: string | null) => t !== null));
    // Patient → its own `other` record (docs/FHIR.md § 4).
    expect(new Set(bundleRows.map((x: any) => x.type))).toEqual(expected);
    for (const x of bundleRows) expect(x).toMatchObject({ status: 'added', patient: p[0]!.address });
    const failed = byLine(3);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: 'failed', error: { code: 'USAGE' } });
    expect(failed[0].error.message).toContain(`Bundle.entry[${i}].resource.status`);
    // Stored, and still returned to match results to local ids (MANIFEST.md § 3.3).
    expect(byLine(4)).toMatchObject([{ status: 'added', type: 'note', meta: { mrn: 'A-1001', facility: 'St. Elsewhere, ward 4' } }]);
    expect(byLine(5)).toMatchObject([{ status: 'added', type: 'vitals', resources: [{ resourceType: 'Observation', id: vital.id }] }]);
    expect(data.counts).toEqual({ total: bundleRows.length + 3, added: bundleRows.length + 2, alreadyDone: 0, invalid: 0, failed: 1 });
    // Nothing of the bad row was stored or registered; the journal says it failed.
    const ev = journalOf(data.journal);
    expect(ev.filter((e) => e.line === 3).map((e) => e.ev)).toEqual(['failed']);
    expect(await recordsOf(w, [p[1]!.address])).toHaveLength(0);
    expect(await recordsOf(w, [p[0]!.address])).toHaveLength(bundleRows.length);

    // Each Bundle record holds exactly the resources of its type, as they went in.
    const inFixture = new Map(bundleA.entry.map((e: any) => [e.resource.id, e.resource]));
    for (const x of bundleRows) {
      const o = await open(w.home, x.cid, p[0]!.identity);
      const held = JSON.parse(o.text);
      expect(held.resourceType).toBe('Bundle');
      // After the record's own resources, the directory resources they reference ride along (FHIR.md § 3.2).
      const own = held.entry.filter((e: any) => typeOf(e.resource, false) !== null);
      for (const e of held.entry) {
        expect(e.resource).toEqual(inFixture.get(e.resource.id));
        if (!own.includes(e)) expect(['Organization', 'Practitioner']).toContain(e.resource.resourceType);
        else expect(e.resource.resourceType === 'Patient' ? 'other' : typeOf(e.resource, false)).toBe(x.type);
      }
      expect(own.map((e: any) => e.resource.id)).toEqual(x.resources.map((y: any) => y.id));
      expect(o.meta).toMatchObject({ type: x.type, fhir: '4.0.1', mediaType: 'application/fhir+json', patient: p[0]!.address });
    }
    // Encounter columns: signed inside the encryption.
    const note = await open(w.home, byLine(4)[0].cid, p[2]!.identity);
    expect(note.meta).toMatchObject({
      title: 'visit',
      facility: 'St. Elsewhere, ward 4',
      encounterStart: '2026-11-20T09:30:00Z',
      encounterEnd: '2026-11-21',
      mrn: 'A-1001',
    });
    expect(note.text).toBe('discharge summary\n');
    const v = await open(w.home, byLine(5)[0].cid, p[2]!.identity);
    expect(v.meta).toMatchObject({ type: 'vitals', facility: 'St. Elsewhere', fhir: '4.0.1' });
    expect(JSON.parse(v.text)).toEqual(vital);
  }, 240_000);

  it('the same manifest again: the FHIR records are already done (same keys after a new split), the bad row fails again, nothing added twice', async () => {
    const r = await w.run(['--json', 'batch', 'add', join(dir(), 'm.csv'), '--resume']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json!.data.counts).toMatchObject({ added: 0, alreadyDone: data.counts.added, failed: 1 });
    expect(await recordsOf(w, [p[0]!.address])).toHaveLength(data.rows.filter((x: any) => x.line === 2).length);
  }, 120_000);

  it('manifest mistakes on FHIR and encounter columns are invalid rows (nothing started): a type or title on a Bundle, a type the author MUST be allowed to write, a bad encounter date', async () => {
    const [stranger] = await w.patients(1, { grant: false });
    const d = join(w.data, 'fhirbad');
    mkdirSync(d, { recursive: true });
    copyFileSync(join(FIX, 'synthea-patient-b.json'), join(d, 'b.json'));
    writeFileSync(join(d, 'x.txt'), 'x\n');
    writeFileSync(
      join(d, 'm.csv'),
      csv(
        [
          { file: 'b.json', patient: p[0]!.address, type: 'lab' },
          { file: 'b.json', patient: p[0]!.address, title: 'all of it' },
          { file: 'b.json', patient: stranger!.address },
          { file: 'x.txt', patient: p[0]!.address, type: 'note', encounter_start: 'last tuesday' },
          { file: 'x.txt', patient: p[0]!.address, type: 'note', title: 'b', encounter_start: '2026-11-21', encounter_end: '2026-11-01' },
          { file: 'x.txt', patient: p[0]!.address, title: 'c' },
        ],
        COLS,
      ),
    );
    const r = await w.run(['--json', 'batch', 'add', join(d, 'm.csv')]);
    expect(r.code, r.stderr).toBe(2);
    const reasons = (r.json!.error as any).details.rows.map((x: any) => [x.line, x.reason]);
    expect(reasons.map((x: any) => x[0])).toEqual([2, 3, 4, 5, 6, 7]);
    expect(reasons[0][1]).toMatch(/type does not apply to a FHIR Bundle/);
    expect(reasons[1][1]).toMatch(/title does not apply to a FHIR Bundle/);
    expect(reasons[2][1]).toMatch(/not registered|not allowed/);
    expect(reasons[3][1]).toMatch(/^encounterStart: not an ISO 8601 date/);
    expect(reasons[4][1]).toMatch(/encounterEnd is before/);
    expect(reasons[5][1]).toMatch(/missing type/);
    expect(r.json!.data.journal).toBeNull();
  }, 120_000);

  it('the author MUST be allowed to write every type a Bundle row produces: a lab-only write grant makes the row invalid', async () => {
    const wallet = Wallet.createRandom();
    await anvilFund(w.rpcUrl, wallet.address);
    const chain = await connectChain({
      rpcUrl: w.rpcUrl,
      contract: w.contract,
      signer: new Wallet(wallet.privateKey),
      pollingIntervalMs: 50,
    });
    try {
      await register(chain, { role: 'patient', recipient: generateIdentity('x25519').recipient });
      // As `emr grant --write --types lab` does (docs/CONTRACT.md § Privacy): the patient's lab
      // slot, and the type key to dr in the grant's key delivery.
      const typeKey = deriveTypeKey(Buffer.from(wallet.privateKey.slice(2), 'hex'));
      const store = await openStore({ home: w.home });
      const drRecipient = (await w.run(['--json', 'whois', w.dr])).json!.data.recipient as string;
      const delivery = await publishKeyDelivery(store, { patient: wallet.address, grantee: w.dr, keys: [], typeKey }, drRecipient);
      await store.close?.();
      const lab = 1 << typeSlots(typeKey).slotOf('lab');
      await grant(chain, {
        provider: w.dr,
        readMask: 0,
        writeMask: lab,
        expiry: Math.floor(Date.now() / 1000) + 86400,
        keyDelivery: delivery.digest,
      });
    } finally {
      chain.provider.destroy();
    }
    const d = join(w.data, 'fhirlab');
    mkdirSync(d, { recursive: true });
    copyFileSync(join(FIX, 'synthea-patient-b.json'), join(d, 'b.json'));
    writeFileSync(join(d, 'm.csv'), csv([{ file: 'b.json', patient: wallet.address }], COLS));
    const r = await w.run(['--json', 'batch', 'add', join(d, 'm.csv')]);
    expect(r.code, r.stderr).toBe(2);
    expect((r.json!.error as any).details.rows[0].reason).toMatch(/not allowed to add \w+ records .* which b\.json holds/);
    expect(await recordsOf(w, [wallet.address])).toHaveLength(0);
  }, 120_000);
});
