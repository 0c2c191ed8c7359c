// Issue 24 § 1 "A new site joins in one step": `emr devnet fund <who> [--amount <eth>]`
// (devnet only; refused on any other chain, exit 2) and `emr doctor`'s `balance` check,
// which says how to fund the profile (docs/CLI.md § Network, § Everyday use). Site B is a
// second home that talks to site A's devnet by --rpc-url, as after a `config import`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr, tempHome } from '../helpers/cli.js';

const c = clinic();
const { as, ok } = c;
const b = tempHome();
let rpcUrl = '';
let contract = '';
let siteB = '';
const ether = 10n ** 18n;
const balance = async (a: string) => BigInt((await c.rpc('eth_getBalance', [a, 'latest'])) as string);
const bAs = () => ['--home', b.home, '--profile', 'siteb', '--password-file', b.pw('siteb'), '--rpc-url', rpcUrl, '--contract', contract];
const checkOf = (r: { json?: any }, name: string) => (r.json?.data?.checks ?? []).find((x: { name: string }) => x.name === name);

beforeAll(async () => {
  ({ rpcUrl, contract } = await c.fromWorld());
  siteB = (await ok(['--home', b.home, '--password-file', b.pw('siteb'), 'keygen', '--name', 'siteb', '--role', 'provider'])).address;
}, 120_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('emr devnet fund', () => {
  it('MUST (DEVNET.md § 1.4): adds ether to a profile or an address on this home’s devnet (default 100, --amount in ether)', async () => {
    const grey = (await ok([...as('grey'), 'whois', 'grey'])).address;
    const before = await balance(grey);
    const d = await ok([...as('admin'), 'devnet', 'fund', 'grey', '--amount', '2.5']);
    expect(d).toMatchObject({ address: grey, name: 'grey', amount: '2.5' });
    expect(await balance(grey)).toBe(before + (5n * ether) / 2n);
    expect(Number(d.balance)).toBeCloseTo(Number(before + (5n * ether) / 2n) / 1e18, 6);
    expect(await balance(siteB)).toBe(0n);
    expect(await ok([...as('admin'), 'devnet', 'fund', siteB])).toMatchObject({ address: siteB, name: null, amount: '100' });
    expect(await balance(siteB)).toBe(100n * ether);
  });

  it('bad amounts and addresses are exit 2; an unknown profile is exit 7', async () => {
    for (const bad of ['0', '-1', 'lots', '1e3', '0.1234567890123456789', '2000000000'])
      expect((await emr([...as('admin'), 'devnet', 'fund', 'grey', '--amount', bad])).code, bad).toBe(2);
    expect((await emr([...as('admin'), 'devnet', 'fund', '0x1234'])).code).toBe(2);
    expect((await emr([...as('admin'), 'devnet', 'fund', 'nobody'])).code).toBe(7);
  });

  it('MUST (DEVNET.md § 1.4): is refused on any other chain (exit 2, says why and how to fund there), even one that would take anvil_setBalance', async () => {
    const r = await emr([...bAs(), '--json', 'devnet', 'fund', 'siteb']);
    expect(r.code).toBe(2);
    expect(r.json!.error!.message).toMatch(/devnet/);
    expect(r.json!.error!.hint).toMatch(new RegExp(`send ether to ${siteB}`));
  });
});

describe('emr doctor: balance', () => {
  it('MUST (DEVNET.md § 1.4): off this home’s devnet, too little ether fails with "send ether to <address>"; once funded it passes', async () => {
    await c.rpc('anvil_setBalance', [siteB, '0x0']);
    let r = await emr([...bAs(), '--json', 'doctor'], { timeoutMs: 60_000 });
    expect(checkOf(r, 'balance')).toMatchObject({ ok: false, detail: expect.stringMatching(/too little ether/) });
    expect(checkOf(r, 'balance').hint).toMatch(new RegExp(`send ether to ${siteB}.*emr devnet fund ${siteB}`));
    await ok([...as('admin'), 'devnet', 'fund', siteB, '--amount', '1']);
    r = await emr([...bAs(), '--json', 'doctor'], { timeoutMs: 60_000 });
    expect(checkOf(r, 'balance')).toMatchObject({ ok: true, detail: expect.stringMatching(/holds 1 ETH/) });
  });

  it('on this home’s devnet an empty profile passes (funded at its first transaction) and the detail names `emr devnet fund`', async () => {
    const wilson = (await ok([...as('wilson'), 'whois', 'wilson'])).address;
    await c.rpc('anvil_setBalance', [wilson, '0x0']);
    const r = await emr([...as('wilson'), '--json', 'doctor'], { timeoutMs: 60_000 });
    expect(checkOf(r, 'balance')).toMatchObject({ ok: true, detail: expect.stringMatching(/emr devnet fund wilson/) });
  });
});
