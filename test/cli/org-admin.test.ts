// Issue 24 § 1: `emr org admin add|remove` (docs/CLI.md § Organisations; CONTRACT.md
// § Organisations, `setOrgAdmin`), through the built binary on a devnet.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok } = c;
let org = '';

beforeAll(async () => {
  // The shared clinic: admin; grey, house, wilson verified.
  await c.fromWorld();
  org = (await ok([...as('admin'), 'org', 'create', 'Admin Org', '--admin', 'house'])).org;
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
  rmSync(c.home, { recursive: true, force: true });
});

describe('emr org admin (docs/CLI.md § Organisations)', () => {
  it('MUST (CLI.md § emr org admin add): only the consortium names an org admin (exit 3 for others, an org admin included); the new admin then adds a member; removed, it cannot', async () => {
    for (const who of ['grey', 'house']) {
      const r = await emr([...as(who), 'org', 'admin', 'add', 'Admin Org', 'wilson', '--json']);
      expect(r.code).toBe(3);
      expect(r.json!.error!.message).toMatch(/not an admin of the contract/);
      expect(r.json!.error!.hint).toMatch(/consortium admin/);
    }
    expect((await emr([...as('wilson'), 'org', 'add', org, 'grey'])).code).toBe(3);
    const made = await ok([...as('admin'), 'org', 'admin', 'add', 'Admin Org', 'wilson']);
    expect(made).toMatchObject({ org, admin: true, changed: true, txHash: expect.stringMatching(/^0x/) });
    console.log(`gas: setOrgAdmin (add) ${made.gasUsed}`);
    expect((await ok([...as('alice'), 'org', 'show', org])).admins).toHaveLength(2);
    // Idempotent: nothing is sent again.
    expect(await ok([...as('admin'), 'org', 'admin', 'add', org, 'wilson'])).toMatchObject({ changed: false, txHash: null });
    await ok([...as('wilson'), 'org', 'add', org, 'grey']);
    expect((await ok([...as('alice'), 'org', 'show', org])).members).toMatchObject([{ current: true }]);

    const removed = await ok([...as('admin'), 'org', 'admin', 'remove', org, 'wilson']);
    expect(removed).toMatchObject({ admin: false, changed: true });
    console.log(`gas: setOrgAdmin (remove) ${removed.gasUsed}`);
    expect((await emr([...as('wilson'), 'org', 'remove', org, 'grey'])).code).toBe(3);
    expect((await emr([...as('admin'), 'org', 'admin', 'remove', 'No Such Org', 'wilson'])).code).toBe(7);
    const human = await emr([...as('admin'), 'org', 'admin', 'remove', org, 'wilson']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/is not an admin of organisation/);
  }, 240_000);
});
