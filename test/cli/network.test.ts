// docs/CLI.md § Network (devnet up/down/status, register, whois, admin deploy) and the
// chain-down exit code, through the built binary (`npm run build` first).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type EmrRun, emr, tempHome } from '../helpers/cli.js';

const t = tempHome();
const pw = { admin: t.pw('admin'), alice: t.pw('alice'), bob: t.pw('bob') };
const as = (who: keyof typeof pw, args: string[]) =>
  emr(['--home', t.home, '--profile', who, '--password-file', pw[who], '--json', ...args]);
const q = (args: string[]) => emr(['--home', t.home, '--json', ...args]);
const ok = (r: EmrRun) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(r.json?.ok).toBe(true);
  return r.json!.data;
};
const addr: Record<string, string> = {};

beforeAll(async () => {
  for (const [name, role] of [
    ['admin', 'admin'],
    ['alice', 'patient'],
    ['bob', 'provider'],
  ] as const) {
    addr[name] = ok(await as(name, ['keygen', '--name', name, '--role', role])).address;
  }
});

afterAll(async () => {
  await q(['devnet', 'down']);
});

describe('emr devnet', () => {
  it('status before any devnet is an answer (running: false, exit 0)', async () => {
    const d = ok(await q(['devnet', 'status']));
    expect(d.running).toBe(false);
    expect(d.rpcUrl).toBeNull();
  });

  it('a chain command with no devnet running exits 6 and names `emr devnet up`', async () => {
    const r = await q(['whois', 'alice']);
    expect(r.code).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json!.error!.hint).toContain('emr devnet up');
  });

  it('up deploys with the acting profile as first admin, funds local profiles, and is harmless twice', async () => {
    const first = ok(await as('admin', ['devnet', 'up']));
    expect(first.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.chainId).toBe(31337);
    expect(first.contract).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(first.funded).toEqual(expect.arrayContaining([addr.admin, addr.alice, addr.bob]));
    const again = ok(await as('admin', ['devnet', 'up']));
    expect(again.contract).toBe(first.contract);
    expect(again.rpcUrl).toBe(first.rpcUrl);
    const st = ok(await q(['devnet', 'status']));
    expect(st).toMatchObject({ running: true, contract: first.contract, rpcUrl: first.rpcUrl, chainId: 31337 });
    expect(st.pid).toBeGreaterThan(0);
    const w = ok(await q(['whois', 'admin']));
    expect(w.admin).toBe(true);
  });

  it('up without a passphrase source fails at once with exit 2', async () => {
    const r = await emr(['--home', t.home, '--profile', 'admin', '--json', 'devnet', 'up'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.json!.error!.hint).toContain('--password-file');
  });
});

describe('emr register / whois', () => {
  it('a patient registers; registering again is harmless (alreadyRegistered, no tx)', async () => {
    const d = ok(await as('alice', ['register']));
    expect(d).toMatchObject({ address: addr.alice, role: 'patient', alreadyRegistered: false });
    expect(d.recipient).toMatch(/^age1/);
    expect(d.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const again = ok(await as('alice', ['register']));
    expect(again).toMatchObject({ address: addr.alice, role: 'patient', alreadyRegistered: true, txHash: null, recipient: d.recipient });
  });

  it('whois shows the published recipient and role; a provider starts unverified', async () => {
    ok(await as('bob', ['register']));
    const w = ok(await q(['whois', 'bob']));
    expect(w).toMatchObject({ address: addr.bob, registered: true, role: 'provider', verified: false, suspended: false, admin: false });
    const alice = ok(await q(['whois', addr.alice!.toLowerCase()]));
    expect(alice).toMatchObject({ address: addr.alice, registered: true, role: 'patient', verified: false });
  });

  it('the contract never changes a role: alice registering as provider exits 3', async () => {
    const r = await as('alice', ['register', '--role', 'provider']);
    expect(r.code).toBe(3);
    expect(r.json?.error?.code).toBe('ACCESS_DENIED');
  });

  it('an admin profile registers as a provider by default, and says so', async () => {
    const r = await emr(['--home', t.home, '--profile', 'admin', '--password-file', pw.admin, 'register']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Registered as a provider/);
    expect(r.stderr).toMatch(/admin profile: registered as a provider/);
  });

  it('an unregistered address is an answer (exit 0, registered: false); an unknown profile is exit 7', async () => {
    const w = ok(await q(['whois', '0x' + '11'.repeat(20)]));
    expect(w).toMatchObject({ registered: false, role: null, verified: false, recipient: null });
    const r = await q(['whois', 'nobody']);
    expect(r.code).toBe(7);
    expect(r.json?.error?.code).toBe('NOT_FOUND');
    const bad = await q(['whois', '0x1234']);
    expect(bad.code).toBe(2);
  });

  it('--rpc-url to a closed port exits 6 with a hint', async () => {
    const r = await q(['--rpc-url', 'http://127.0.0.1:9', '--contract', '0x' + '22'.repeat(20), 'whois', 'alice']);
    expect(r.code).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json!.error!.hint).toMatch(/devnet up|--rpc-url/);
  });

  it('down/up keeps the contract and the registrations; while down, commands exit 6', async () => {
    const before = ok(await q(['devnet', 'status']));
    const down = ok(await q(['devnet', 'down']));
    expect(down.stopped).toBe(true);
    expect(ok(await q(['devnet', 'status'])).running).toBe(false);
    const r = await as('alice', ['register']);
    expect(r.code).toBe(6);
    expect(r.json!.error!.hint).toContain('emr devnet up');
    expect(ok(await q(['devnet', 'down'])).stopped).toBe(false); // down twice is harmless too
    const up = ok(await as('admin', ['devnet', 'up']));
    expect(up.contract).toBe(before.contract);
    expect(ok(await q(['whois', 'alice']))).toMatchObject({ registered: true, role: 'patient' });
    expect(ok(await as('alice', ['register'])).alreadyRegistered).toBe(true);
  });
});

describe('emr admin deploy', () => {
  it('deploys on any --rpc-url; --save makes it the default chain and contract', async () => {
    const url = inject('anvilUrl');
    // Off the devnet nobody funds us: pay for gas the way an operator would, out of band.
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [addr.bob, '0x56bc75e2d63100000'] }),
    });
    const d = ok(await as('bob', ['--rpc-url', url, 'admin', 'deploy', '--save']));
    expect(d.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(d).toMatchObject({ rpcUrl: url, firstAdmin: addr.bob, saved: true });
    // The saved endpoint now answers without --rpc-url: bob is admin there, alice unknown.
    const w = ok(await q(['whois', 'bob']));
    expect(w).toMatchObject({ admin: true, registered: false });
    expect(ok(await q(['whois', 'alice'])).registered).toBe(false);
  });

  it('deploy to a closed port exits 6', async () => {
    const r = await as('bob', ['--rpc-url', 'http://127.0.0.1:9', 'admin', 'deploy']);
    expect(r.code).toBe(6);
  });
});
