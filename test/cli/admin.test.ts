// docs/CLI.md § Network (admin verify/suspend/add/remove, emergency recipient) and § Sharing
// (emergency open), through the built binary (`npm run build` first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, type EmrRun, emr } from '../helpers/cli.js';

// The shared clinic (test/helpers/shared-world.ts): admin its only admin, alice a registered
// patient, mallory a registered provider not verified; carol, a second one, is made here.
const c = clinic();
const names = ['admin', 'alice', 'mallory', 'carol'] as const;
type Who = (typeof names)[number];
const as = (who: Who, args: string[]) => emr([...c.as(who), '--json', ...args]);
const q = (args: string[]) => emr(['--home', c.home, '--json', ...args]);
const ok = (r: EmrRun) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(r.json?.ok).toBe(true);
  return r.json!.data;
};
const denied = (r: EmrRun) => {
  expect(r.code, r.stderr + r.stdout).toBe(3);
  expect(r.json?.error?.code).toBe('ACCESS_DENIED');
  return r.json!.error!;
};
const addr = {} as Record<Who, string>;

beforeAll(async () => {
  await c.fromWorld();
  ok(await as('carol', ['keygen', '--name', 'carol', '--role', 'provider']));
  ok(await as('carol', ['register']));
  for (const n of names) addr[n] = c.address(n);
});

afterAll(async () => {
  await c.devnetDown();
});

describe('emr admin verify / suspend', () => {
  it('a non-admin cannot verify (exit 3), even a provider already verified', async () => {
    denied(await as('mallory', ['admin', 'verify', 'carol']));
    expect(ok(await q(['whois', 'carol'])).verified).toBe(false);
  });

  it('an admin verifies a provider by profile name; verifying twice is harmless', async () => {
    const d = ok(await as('admin', ['admin', 'verify', 'mallory']));
    expect(d).toMatchObject({ provider: addr.mallory, verified: true, alreadyVerified: false });
    expect(d.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(ok(await q(['whois', 'mallory']))).toMatchObject({ verified: true, suspended: false });
    expect(ok(await as('admin', ['admin', 'verify', addr.mallory.toLowerCase()]))).toMatchObject({ alreadyVerified: true, txHash: null });
    // and a non-admin still gets 3 on an already-verified provider (no "already" short-cut)
    denied(await as('carol', ['admin', 'verify', 'mallory']));
  });

  it('a patient cannot be verified as a provider (exit 3), an unknown profile is exit 7', async () => {
    denied(await as('admin', ['admin', 'verify', 'alice']));
    expect((await as('admin', ['admin', 'verify', 'nobody'])).code).toBe(7);
  });

  it('an unverified provider cannot open an emergency (exit 3); a verified one can, with a warning that it is audited', async () => {
    const e = denied(await as('carol', ['emergency', 'open', 'alice', '--reason', 'ER']));
    expect(e.message).toMatch(/not verified/);
    const human = await emr([...c.as('mallory'), 'emergency', 'open', 'alice', '--reason', 'unconscious in ER']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Emergency access to .*alice.* open until/);
    expect(human.stderr).toMatch(/logged on chain.*visible to the patient/);
    const d = ok(await as('mallory', ['emergency', 'open', 'alice', '--reason', 'second look']));
    expect(d.patient).toBe(addr.alice);
    expect(Date.parse(d.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(d.txHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('emergency open needs --reason (exit 2) and a patient (a provider target is exit 3)', async () => {
    expect((await as('mallory', ['emergency', 'open', 'alice'])).code).toBe(2);
    denied(await as('mallory', ['emergency', 'open', 'carol', '--reason', 'x']));
  });

  it('a suspended provider is shown suspended and can no longer open emergencies; verify lifts it', async () => {
    denied(await as('carol', ['admin', 'suspend', 'mallory']));
    expect(ok(await as('admin', ['admin', 'suspend', 'mallory']))).toMatchObject({ provider: addr.mallory, suspended: true });
    expect(ok(await q(['whois', 'mallory']))).toMatchObject({ verified: false, suspended: true });
    const e = denied(await as('mallory', ['emergency', 'open', 'alice', '--reason', 'again']));
    expect(e.message).toMatch(/suspended/);
    ok(await as('admin', ['admin', 'verify', 'mallory']));
    expect(ok(await q(['whois', 'mallory']))).toMatchObject({ verified: true, suspended: false });
  });
});

describe('emr admin add / remove / emergency-recipient', () => {
  it('admins add and remove admins; never the last one; non-admins get 3', async () => {
    denied(await as('carol', ['admin', 'add', 'carol']));
    expect(ok(await as('admin', ['admin', 'add', 'carol']))).toMatchObject({ account: addr.carol, admin: true, alreadyAdmin: false });
    expect(ok(await q(['whois', 'carol'])).admin).toBe(true);
    // the new admin can act as one
    expect(ok(await as('carol', ['admin', 'verify', 'carol'])).verified).toBe(true);
    ok(await as('carol', ['admin', 'remove', 'carol']));
    expect(ok(await q(['whois', 'carol'])).admin).toBe(false);
    denied(await as('admin', ['admin', 'remove', 'admin'])); // the last admin stays
    expect((await as('admin', ['admin', 'remove', 'mallory'])).code).toBe(7); // not an admin
  });

  it('emergency-recipient publishes the admin profile’s recipient by default; twice is harmless; bad input is 2; non-admin 3', async () => {
    denied(await as('mallory', ['admin', 'emergency-recipient']));
    expect((await as('admin', ['admin', 'emergency-recipient', 'age1notarecipient'])).code).toBe(2);
    const d = ok(await as('admin', ['admin', 'emergency-recipient']));
    const mine = ok(await q(['key', 'list'])).profiles.find((p: { name: string }) => p.name === 'admin').recipient;
    expect(mine).toMatch(/^age1/);
    expect(d.recipient).toBe(mine);
    expect(d.alreadySet).toBe(false);
    expect(ok(await as('admin', ['admin', 'emergency-recipient']))).toMatchObject({ alreadySet: true, txHash: null });
  });

  it('`emr admin --help` lists the admin and devnet commands', async () => {
    const r = await emr(['admin', '--help']);
    expect(r.code).toBe(0);
    for (const c of ['deploy', 'verify', 'suspend', 'add', 'remove', 'emergency-recipient', 'devnet']) expect(r.stdout).toContain(c);
  });
});
