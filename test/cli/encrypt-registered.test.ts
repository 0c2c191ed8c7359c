/**
 * `emr encrypt --to 0x…` of an address that is no local profile (docs/CLI.md § Local files):
 * the recipient is the one the address published on chain. Since issue 11 the encrypt command
 * opens the chain only for this case (a local session otherwise), so this path is checked
 * end to end: a stranger's home encrypts to a registered patient, who decrypts it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr, tempHome } from '../helpers/cli.js';

const c = clinic();
let chain: { rpcUrl: string; contract: string };
beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): bob is a registered patient.
  chain = await c.fromWorld();
}, 180_000);
afterAll(async () => {
  await c.devnetDown();
});

describe('encrypt to a registered address', () => {
  it('a home without that profile looks the recipient up on chain; its owner decrypts the bundle', async () => {
    const bob = (await c.ok([...c.as('bob'), 'whois', 'bob'])).address as string;
    const other = tempHome();
    const carol = ['--home', other.home, '--profile', 'carol', '--password-file', other.pw('carol')];
    expect((await emr([...carol, 'keygen', '--name', 'carol'])).code).toBe(0);
    const plain = c.file('for-bob.txt', 'for bob only');
    const out = join(c.home, 'for-bob.age');
    const r = await emr([
      ...carol,
      '--rpc-url',
      chain.rpcUrl,
      '--contract',
      chain.contract,
      '--json',
      'encrypt',
      plain,
      '--to',
      bob,
      '-o',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    await c.ok([...c.as('bob'), 'decrypt', out, '-o', join(c.home, 'for-bob.out')]);
    expect(readFileSync(join(c.home, 'for-bob.out'), 'utf8')).toBe('for bob only');
  }, 120_000);

  it('an unregistered address is NOT_FOUND (exit 7)', async () => {
    const r = await emr([...c.as('bob'), 'encrypt', c.file('x.txt', 'x'), '--to', '0x' + '12'.repeat(20), '-o', join(c.home, 'x.age')]);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/not registered/);
  }, 60_000);
});
