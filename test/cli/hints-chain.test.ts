// Issue 10 point 9, the hints that need a chain: an unregistered patient, an expired grant,
// and an offline-signed grant's own expiry. Through the binary, on a devnet in a temp home.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file, rpc } = c;

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): alice registered, grey and house verified.
  // dave is a patient who never registers: a profile of this home only.
  await c.fromWorld();
  await c.keygen([['dave', 'patient']]);
}, 180_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('hints that name the real cause', () => {
  it('record add for an unregistered patient says the patient must register (not that the provider must be verified)', async () => {
    const r = await emr([...as('grey'), '--json', 'record', 'add', file('d.txt', 'x'), '--patient', 'dave', '--type', 'lab']);
    expect(r.code).toBe(7);
    expect(r.json?.error?.message).toMatch(/not registered/);
    expect(r.json?.error?.hint).toMatch(/emr register/);
    expect(r.json?.error?.hint).not.toMatch(/verif/);
  });

  it('grant --sign-only shows the grant’s own expiry next to the signature deadline', async () => {
    const r = await emr([
      ...as('alice'),
      'grant',
      'grey',
      '--types',
      'lab',
      '--expires',
      '2031-01-31',
      '--sign-only',
      '-o',
      join(c.home, 'g.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/grant expires\s+2031-01-31T/);
    expect(r.stdout).toMatch(/send it before/);
  });

  it('a fetch refused because the grant expired says when it expired', async () => {
    await ok([...as('alice'), 'grant', 'grey', '--types', 'lab', '--write', '--expires', '1d']);
    const rec = (await ok([...as('grey'), 'record', 'add', file('lab.txt', 'Hb 13.9'), '--patient', 'alice', '--type', 'lab'])).records[0];
    // grey authored it, so ask as another reader: a second provider (the world's house,
    // verified, no grant from alice yet) with an expiring grant.
    const g = await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '1d']);
    await rpc('evm_increaseTime', [3 * 86_400]);
    await rpc('evm_mine', []);
    const r = await emr([...as('house'), '--json', 'fetch', rec.id, '-o', join(c.home, 'h.txt')]);
    expect(r.code).toBe(3);
    expect(r.json?.error?.message).toContain(`expired on ${g.expiresAt}`);
  }, 120_000);
});
