// Issue 22 points 4 and 9, on a devnet with two sites (two homes, one chain, no shared files).
// 4: `record list --details` at the second site failed as a whole (exit 7) when one record's
//    bytes were not in its store, and its hint named --ipfs-api only. Now the rows it can open
//    get their details, the others are marked, and the hint names --ipfs-gateway too.
// 9: read receipts are for other readers (docs/SHARING.md § 5): the patient reading their own
//    record and `fetch --raw` post none by default; another reader's fetch does; --receipt asks.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr } from '../helpers/cli.js';
import { twoSites } from '../helpers/two-sites.js';

const sites = twoSites();
const { A, B, asA, asB, ok } = sites;
let chain: string[] = [];
let first = '';
let second = '';
let alice = '';

beforeAll(async () => {
  // Hospital A is the shared clinic (test/helpers/two-sites.ts); hb at B stays unverified, as
  // a reader needs no verification.
  ({ chain, alice } = await sites.setUp({ verifyHb: false }));
  const add = async (name: string, title: string) => {
    const f = join(A.home, name);
    writeFileSync(f, `${title}\n`);
    return (await ok([...asA('grey'), 'record', 'add', f, '--patient', 'alice', '--type', 'lab', '--title', title])).records[0]
      .id as string;
  };
  // Site B gets the first record by a CAR backup; the second is only at site A.
  first = await add('cbc.txt', 'CBC panel');
  const car = join(A.home, 'backup.car');
  await ok([...asA('alice'), 'record', 'export', '--format', 'car', '-o', car]);
  await ok(['--home', B.home, 'store', 'import', car]);
  second = await add('lipids.txt', 'Lipid panel');
}, 600_000);

afterAll(async () => {
  await sites.down();
  rmSync(A.home, { recursive: true, force: true });
  rmSync(B.home, { recursive: true, force: true });
});

describe('record list --details at a second site', () => {
  it('lists every row: details where the bytes are here, the others marked, a hint naming both ways to reach them', async () => {
    const r = await emr([...asB('hb'), ...chain, '--json', 'record', 'list', '--patient', alice, '--details']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const rows = r.json!.data.records as Array<{ id: string; title?: string | null; readable?: boolean; unavailable?: string }>;
    const byId = new Map(rows.map((x) => [x.id, x]));
    expect(byId.get(first)).toMatchObject({ readable: true, title: 'CBC panel' });
    expect(byId.get(first)!.unavailable).toBeUndefined();
    expect(byId.get(second)).toMatchObject({ readable: false, unavailable: 'NOT_FOUND' });
    const warning = (r.json!.data.warnings as string[]).join(' ');
    expect(warning).toContain('--ipfs-gateway');
    expect(warning).toContain('--ipfs-api');
    const human = await emr([...asB('hb'), ...chain, 'record', 'list', '--patient', alice, '--details']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/CBC panel/);
    expect(human.stdout).toMatch(/not in this store/);
    expect(human.stderr).toMatch(/warning: .*--ipfs-gateway/);
    // A fetch of the missing record names the gateway too.
    const f = await emr([...asB('hb'), ...chain, '--json', 'fetch', second, '-o', join(B.home, 'x.txt')]);
    expect(f.code).toBe(7);
    expect(f.json!.error!.hint).toContain('--ipfs-gateway');
  });
});

describe('read receipts are for other readers', () => {
  it('the patient reading their own record posts none by default; --receipt posts one', async () => {
    const own = await ok([...asA('alice'), 'fetch', first, '-o', join(A.home, 'own.txt')]);
    expect(own.receiptTx).toBeNull();
    const asked = await ok([...asA('alice'), 'fetch', first, '-o', join(A.home, 'own2.txt'), '--receipt']);
    expect(asked.receiptTx).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('another reader posts one by default; --raw posts none; --no-receipt none', async () => {
    const read = await ok([...asB('hb'), ...chain, 'fetch', first, '-o', join(B.home, 'hb.txt')]);
    expect(read.receiptTx).toMatch(/^0x[0-9a-f]{64}$/);
    const raw = await ok([...asB('hb'), ...chain, 'fetch', first, '--raw', '-o', join(B.home, 'hb.age')]);
    expect(raw.receiptTx).toBeNull();
    const none = await ok([...asB('hb'), ...chain, 'fetch', first, '-o', join(B.home, 'hb2.txt'), '--no-receipt']);
    expect(none.receiptTx).toBeNull();
    // The audit shows the two receipts: alice's asked-for one and hb's, no more.
    const audit = await ok([...asA('alice'), 'audit']);
    expect(audit.events.filter((e: { event: string }) => e.event === 'record-accessed')).toHaveLength(2);
  });
});
