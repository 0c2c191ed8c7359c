// Issue 24 § 2, retention (docs/CLI.md § record list, "Retention"; STORAGE.md § Unpin,
// garbage collection and erasure): a per-type period in this home's settings; `record list`
// says what is past it by the chain's clock; nothing is deleted for it: `store gc` keeps a
// pinned record past its period, which still opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;

beforeAll(async () => {
  await c.fromWorld();
}, 300_000);

afterAll(async () => {
  await c.devnetDown();
}, 120_000);

describe('retention (docs/CLI.md § record list)', () => {
  it('MUST: a bad schedule is exit 2 and nothing is written', async () => {
    for (const bad of ['lab=soon', 'labs=1y', 'lab=10', '=3y']) {
      const r = await emr([...as('alice'), '--json', 'config', 'set', 'retention', bad]);
      expect(r.code, bad).toBe(2);
    }
    expect((await ok([...as('alice'), 'config', 'get', 'retention'])).value).toBeNull();
  });

  it('MUST: record list marks what is past its type’s period (chain clock); store gc deletes none of it; it still opens', async () => {
    await ok([...as('alice'), 'config', 'set', 'retention', 'lab=2d,*=30y']);
    expect((await ok([...as('alice'), 'config', 'get', 'retention'])).value).toBe('lab=2d,*=30y');
    const lab = (await ok([...as('grey'), 'record', 'add', file('na.txt', 'Na 139'), '--patient', 'alice', '--type', 'lab'])).records[0];
    const note = (await ok([...as('grey'), 'record', 'add', file('n.txt', 'seen today'), '--patient', 'alice', '--type', 'note']))
      .records[0];
    const before = await ok([...as('alice'), 'record', 'list']);
    const row = (id: string, l: any) => l.records.find((r: any) => r.id === id);
    expect(row(lab.id, before)).toMatchObject({ pastRetention: false });
    expect(Date.parse(row(lab.id, before).retainUntil) - Date.parse(row(lab.id, before).createdAt)).toBe(2 * 86400_000);
    expect(before.pastRetention).toBe(0);

    await c.rpc('evm_increaseTime', [3 * 86400]);
    await c.rpc('evm_mine');
    const after = await ok([...as('alice'), 'record', 'list']);
    expect(row(lab.id, after).pastRetention).toBe(true);
    expect(row(note.id, after).pastRetention).toBe(false);
    expect(after.pastRetention).toBeGreaterThanOrEqual(1);
    const human = await emr([...as('alice'), 'record', 'list']);
    expect(human.stdout).toMatch(new RegExp(`^${lab.id} .*PAST RETENTION \\(20\\d\\d-\\d\\d-\\d\\d\\)`, 'm'));
    expect(human.stdout).toMatch(/record\(s\) past retention \(config `retention`\): nothing is deleted for it/);

    const gc = await ok(['--home', c.home, 'store', 'gc']);
    expect(gc.kept).toBeGreaterThan(0);
    const got = await ok([...as('alice'), 'fetch', lab.id, '-o', file('na.out', ''), '--force']);
    expect(got.signatureValid).toBe(true);
    // A grantee's listing without the key to name the slot applies `*` only: here the grantee holds it.
    const grey = await ok([...as('grey'), 'record', 'list', '--patient', 'alice']);
    expect(row(lab.id, grey).pastRetention).toBe(true);
  }, 300_000);
});
