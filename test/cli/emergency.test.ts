// docs/SHARING.md § 4: break-glass access end to end — patient-chosen emergency types, the
// consortium key, the release only while an emergency is open, and the patient's audit.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { emergencyWorld } from '../helpers/emergency-world.js';

const c = clinic();
const { as, ok } = c;
const t = { home: c.home };
const ids: Record<string, string> = {};

beforeAll(async () => {
  // The shared clinic as an emergency world (test/helpers/emergency-world.ts): admin is the
  // consortium, house the ER doctor.
  await emergencyWorld(c);
  for (const [type, text] of [
    ['allergy', 'Penicillin: anaphylaxis'],
    ['lab', 'private lab result'],
  ] as const) {
    const f = c.file(`${type}.txt`, text);
    ids[type] = (await ok([...as('alice'), 'record', 'add', f, '--patient', 'alice', '--type', type])).records[0].id;
  }
}, 180_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('emergency access', () => {
  it('nothing opens before an emergency: fetch 3, release 3', async () => {
    expect((await emr([...as('house'), '--json', 'fetch', ids.allergy!, '-o', join(t.home, 'x')])).code).toBe(3);
    const rel = await emr([...as('admin'), '--json', 'admin', 'emergency-release', 'alice', 'house']);
    expect(rel.code).toBe(3);
  });

  it('after break-glass and the consortium release, the ER doctor reads the allergy record only', async () => {
    const open = await ok([...as('house'), 'emergency', 'open', 'alice', '--reason', 'unconscious in the ER']);
    expect(Date.parse(open.expiresAt)).toBeGreaterThan(Date.now());
    // Open on chain, but no key yet: refused with a hint, nothing written.
    const early = await emr([...as('house'), '--json', 'fetch', ids.allergy!, '-o', join(t.home, 'early.txt')]);
    expect(early.code).toBe(3);
    const rel = await ok([...as('admin'), 'admin', 'emergency-release', 'alice', 'house']);
    expect(rel.released).toEqual([ids.allergy]);
    const out = join(t.home, 'er-allergy.txt');
    const f = await ok([...as('house'), 'fetch', ids.allergy!, '-o', out]);
    expect(f.signatureValid).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('Penicillin: anaphylaxis');
    const lab = await emr([...as('house'), '--json', 'fetch', ids.lab!, '-o', join(t.home, 'er-lab.txt')]);
    expect(lab.code).toBe(3);
  });

  it('the patient sees the emergency, the release and the read in her audit', async () => {
    const a = await ok([...as('alice'), 'audit']);
    const text = a.events.map((e: any) => e.description).join('\n');
    expect(text).toMatch(/EMERGENCY: house opened break-glass access to alice/);
    expect(text).toMatch(/EMERGENCY: admin released the keys of alice's emergency-visible records to house/);
    expect(text).toMatch(new RegExp(`house read record #${ids.allergy} of alice`));
  });

  it('a re-key keeps emergency-visible records open to the consortium key, not to the revoked provider', async () => {
    await ok([...as('alice'), 'grant', 'house', '--types', 'allergy', '--expires', '1d']);
    const rv = await ok([...as('alice'), 'revoke', 'house', '--rekey']);
    expect(rv.rekeyed.map((x: any) => x.id)).toContain(ids.allergy);
    const raw = join(c.home, 'allergy-rekeyed.age');
    await ok(['--home', c.home, '--profile', 'alice', 'fetch', ids.allergy!, '--raw', '--no-receipt', '-o', raw]);
    await ok([...as('admin'), 'decrypt', raw, '-o', join(c.home, 'consortium-allergy.txt')]);
    expect(readFileSync(join(c.home, 'consortium-allergy.txt'), 'utf8')).toBe('Penicillin: anaphylaxis');
    // Not addressed to house after the re-key: ACCESS_DENIED (exit 3), issue 21 § 5.
    expect((await emr([...as('house'), '--json', 'decrypt', raw, '-o', join(c.home, 'er-after.txt')])).code).toBe(3);
  });
});
