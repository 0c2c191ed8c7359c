// docs/SHARING.md § 4: break-glass access end to end — patient-chosen emergency types, the
// consortium key, the release only while an emergency is open, and the patient's audit.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok } = c;
const t = { home: c.home };
const ids: Record<string, string> = {};

beforeAll(async () => {
  await c.keygen([
    ['consortium', 'admin'],
    ['alice', 'patient'],
    ['er-doc', 'provider'],
  ]);
  await c.devnetUp('consortium');
  await ok([...as('alice'), 'register']);
  await ok([...as('er-doc'), 'register', '--role', 'provider']);
  await ok([...as('consortium'), 'admin', 'verify', 'er-doc']);
  await ok([...as('consortium'), 'admin', 'emergency-recipient']);
  await ok([...as('alice'), 'emergency', 'types', 'allergy']);
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
    expect((await emr([...as('er-doc'), '--json', 'fetch', ids.allergy!, '-o', join(t.home, 'x')])).code).toBe(3);
    const rel = await emr([...as('consortium'), '--json', 'admin', 'emergency-release', 'alice', 'er-doc']);
    expect(rel.code).toBe(3);
  });

  it('after break-glass and the consortium release, the ER doctor reads the allergy record only', async () => {
    const open = await ok([...as('er-doc'), 'emergency', 'open', 'alice', '--reason', 'unconscious in the ER']);
    expect(Date.parse(open.expiresAt)).toBeGreaterThan(Date.now());
    // Open on chain, but no key yet: refused with a hint, nothing written.
    const early = await emr([...as('er-doc'), '--json', 'fetch', ids.allergy!, '-o', join(t.home, 'early.txt')]);
    expect(early.code).toBe(3);
    const rel = await ok([...as('consortium'), 'admin', 'emergency-release', 'alice', 'er-doc']);
    expect(rel.released).toEqual([ids.allergy]);
    const out = join(t.home, 'er-allergy.txt');
    const f = await ok([...as('er-doc'), 'fetch', ids.allergy!, '-o', out]);
    expect(f.signatureValid).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('Penicillin: anaphylaxis');
    const lab = await emr([...as('er-doc'), '--json', 'fetch', ids.lab!, '-o', join(t.home, 'er-lab.txt')]);
    expect(lab.code).toBe(3);
  });

  it('the patient sees the emergency, the release and the read in her audit', async () => {
    const a = await ok([...as('alice'), 'audit']);
    const text = a.events.map((e: any) => e.description).join('\n');
    expect(text).toMatch(/EMERGENCY: er-doc opened break-glass access to alice/);
    expect(text).toMatch(/EMERGENCY: consortium released the keys of alice's emergency-visible records to er-doc/);
    expect(text).toMatch(new RegExp(`er-doc read record #${ids.allergy} of alice`));
  });

  it('a re-key keeps emergency-visible records open to the consortium key, not to the revoked provider', async () => {
    await ok([...as('alice'), 'grant', 'er-doc', '--types', 'allergy', '--expires', '1d']);
    const rv = await ok([...as('alice'), 'revoke', 'er-doc', '--rekey']);
    expect(rv.rekeyed.map((x: any) => x.id)).toContain(ids.allergy);
    const raw = join(c.home, 'allergy-rekeyed.age');
    await ok(['--home', c.home, '--profile', 'alice', 'fetch', ids.allergy!, '--raw', '--no-receipt', '-o', raw]);
    await ok([...as('consortium'), 'decrypt', raw, '-o', join(c.home, 'consortium-allergy.txt')]);
    expect(readFileSync(join(c.home, 'consortium-allergy.txt'), 'utf8')).toBe('Penicillin: anaphylaxis');
    // Not addressed to er-doc after the re-key: ACCESS_DENIED (exit 3), issue 21 § 5.
    expect((await emr([...as('er-doc'), '--json', 'decrypt', raw, '-o', join(c.home, 'er-after.txt')])).code).toBe(3);
  });
});
