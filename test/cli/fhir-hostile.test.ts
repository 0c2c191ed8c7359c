// Red team (issue 8's attacker, wave 3's FHIR surface): FHIR files from another system are
// hostile input. Through the built binary on a devnet (docs/FHIR.md § 2, MANIFEST.md § 3.2).

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
  const dir = () => join(w.home, 'deep');

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
