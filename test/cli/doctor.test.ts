// Issue 10 point 13: `emr doctor`, one check a line with a fix for each failure; exit 0
// only when every check passes. Driven against a real devnet in a temp home.

import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok } = c;

beforeAll(async () => {
  await c.keygen([
    ['admin', 'admin'],
    ['grey', 'provider'],
  ]);
  await c.devnetUp('admin');
}, 120_000);

afterAll(async () => {
  await c.devnetDown();
});

const doctor = async (who: string) => {
  const r = await emr([...as(who), '--json', 'doctor']);
  const checks = (r.json?.data?.checks ?? []) as Array<{ name: string; ok: boolean; detail: string; hint: string }>;
  return { r, checks, get: (n: string) => checks.find((x) => x.name === n) };
};

describe('emr doctor', () => {
  it('names what is wrong and how to fix it, until every check passes (exit 0)', async () => {
    let d = await doctor('grey');
    expect(d.r.code).toBe(6);
    expect(d.r.json?.ok).toBe(false);
    expect(d.checks.map((x) => x.name)).toEqual(
      expect.arrayContaining(['node', 'age', 'home', 'keystore', 'chain', 'clock', 'ipfs', 'profile']),
    );
    for (const x of d.checks) expect(Object.keys(x).sort()).toEqual(['detail', 'hint', 'name', 'ok']);
    expect(d.get('chain')!.ok).toBe(true);
    expect(d.get('profile')).toMatchObject({ ok: false, hint: expect.stringMatching(/emr --profile grey register/) });

    await ok([...as('grey'), 'register', '--role', 'provider']);
    d = await doctor('grey');
    expect(d.get('profile')).toMatchObject({ ok: false, hint: expect.stringMatching(/admin verify/) });

    await ok([...as('admin'), 'admin', 'verify', 'grey']);
    d = await doctor('grey');
    expect(d.r.code, JSON.stringify(d.checks)).toBe(0);
    expect(d.checks.every((x) => x.ok)).toBe(true);

    // Human output: one line per check.
    const h = await emr([...as('grey'), 'doctor']);
    expect(h.code).toBe(0);
    expect(h.stdout.trim().split('\n')).toHaveLength(d.checks.length);
  }, 180_000);

  it('a keystore readable by others fails with a chmod fix; a stopped chain fails with a devnet hint', async () => {
    const dir = join(c.home, 'keystore');
    const f = readdirSync(dir)[0]!;
    chmodSync(join(dir, f), 0o644);
    try {
      const d = await doctor('admin');
      expect(d.r.code).toBe(6);
      expect(d.get('keystore')).toMatchObject({ ok: false, hint: expect.stringMatching(/chmod/) });
    } finally {
      chmodSync(join(dir, f), 0o600);
    }
    await c.devnetDown();
    const d = await doctor('admin');
    expect(d.r.code).toBe(6);
    expect(d.get('chain')).toMatchObject({ ok: false, hint: expect.stringMatching(/devnet up/) });
  }, 120_000);
});
