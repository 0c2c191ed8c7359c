// Issue 21 § 2 (void) and § 5 (dispense, emergency types, keeping a delivered copy): through
// the built binary on a devnet in a temp home (docs/CLI.md § record void, § prescription
// dispense; CONTRACT.md § Void and dispense).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
const addr: Record<string, string> = {};

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): grey and house (verified) are the authors,
  // wilson and mallory (verified here: the world leaves her unverified) the two pharmacists,
  // house the ER doctor of the last test (it holds no allergy grant: break-glass opens it).
  await c.fromWorld();
  await ok([...as('admin'), 'admin', 'verify', 'mallory']);
  await ok([...as('alice'), 'grant', 'grey', '--types', 'lab,note,prescription', '--write', '--expires', '1y']);
  await ok([...as('alice'), 'grant', 'house', '--types', 'lab,note', '--write', '--expires', '1y']);
  for (const p of ['alice', 'grey', 'house', 'wilson', 'mallory']) addr[p] = c.address(p);
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
  rmSync(c.home, { recursive: true, force: true });
});

const add = async (who: string, name: string, text: string, type: string): Promise<string> =>
  (await ok([...as(who), 'record', 'add', file(name, text), '--patient', 'alice', '--type', type])).records[0].id;

describe('emr record void (docs/CLI.md § record void)', () => {
  it('the author voids: list hides it (--all shows who, why), fetch still works with a warning and a JSON field, audit says who voided what and why', async () => {
    const id = await add('grey', 'wrong.txt', 'Hb 9.1 (other patient)', 'lab');
    const kept = await add('grey', 'right.txt', 'Hb 13.9', 'lab');
    const v = await ok([...as('grey'), 'record', 'void', id, '--reason', 'filed under the wrong patient']);
    expect(v).toMatchObject({ id, voidedBy: addr.grey, reason: 'filed under the wrong patient', type: 'lab' });

    const listed = await ok([...as('alice'), 'record', 'list']);
    expect(listed.records.map((r: any) => r.id)).not.toContain(id);
    expect(listed.records.find((r: any) => r.id === kept).voided).toBeNull();
    expect(listed.voidedHidden).toBe(1);
    const all = await ok([...as('alice'), 'record', 'list', '--all']);
    expect(all.records.find((r: any) => r.id === id).voided).toMatchObject({ by: addr.grey, reason: 'filed under the wrong patient' });
    const human = await emr([...as('alice'), 'record', 'list', '--all']);
    expect(human.stdout).toMatch(new RegExp(`^${id} .*VOIDED by grey: filed under the wrong patient`, 'm'));
    expect((await emr([...as('alice'), 'record', 'list'])).stdout).toMatch(/1 voided \(entered-in-error\) record\(s\) hidden; --all/);

    const out = file(`f-${id}.txt`, '');
    rmSync(out);
    const f = await emr([...as('alice'), 'fetch', id, '-o', out, '--force']);
    expect(f.code).toBe(0);
    expect(f.stderr).toMatch(
      new RegExp(
        `warning: record ${id} was voided \\(entered in error\\) by 0x[0-9a-fA-F]{40} \\(grey\\) on [0-9T:.Z-]+: filed under the wrong patient`,
      ),
    );
    const fj = await ok([...as('alice'), 'fetch', id, '-o', out, '--force']);
    expect(fj.voided).toMatchObject({ by: addr.grey, reason: 'filed under the wrong patient' });

    const audit = await emr([...as('alice'), 'audit']);
    expect(audit.stdout).toContain(`grey voided record #${id} of alice (entered in error): “filed under the wrong patient”`);
  });

  it('only the author or the patient (exit 3, nothing sent); a void of a voided record is exit 3 naming the first', async () => {
    const id = await add('grey', 'note.txt', 'note', 'note');
    const other = await emr([...as('house'), '--json', 'record', 'void', id, '--reason', 'not mine to void']);
    expect(other.code).toBe(3);
    expect(other.json?.error?.message).toMatch(/only record \d+'s author or patient may void it/);
    await ok([...as('alice'), 'record', 'void', id, '--reason', 'duplicate']);
    const again = await emr([...as('grey'), '--json', 'record', 'void', id, '--reason', 'again']);
    expect(again.code).toBe(3);
    expect(again.json?.error?.message).toContain(`already voided (by ${addr.alice}`);
    const audit = await ok([...as('alice'), 'audit']);
    expect(audit.events.filter((e: any) => e.event === 'record-voided' && e.recordId === id)).toHaveLength(1);
    const missing = await emr([...as('grey'), '--json', 'record', 'void', '999999', '--reason', 'x']);
    expect(missing.code).toBe(7);
    const noReason = await emr([...as('grey'), '--json', 'record', 'void', id]);
    expect(noReason.code).toBe(2);
  });
});

describe('emr prescription dispense (docs/CLI.md § prescription dispense)', () => {
  it('a verified provider granted prescription dispenses once; verify shows it; a second dispense is exit 3 naming the first; other types exit 2', async () => {
    const rx = await add('grey', 'rx.txt', 'Amoxicillin 500 mg, 3x daily, 7 days', 'prescription');
    await ok([...as('alice'), 'grant', 'wilson', '--types', 'prescription', '--expires', '30d']);
    expect((await ok([...as('wilson'), 'verify', rx])).dispensed).toBeNull();
    const ungranted = await emr([...as('mallory'), '--json', 'prescription', 'dispense', rx]);
    expect(ungranted.code).toBe(3);
    expect(ungranted.json?.error?.message).toMatch(/has not granted you `prescription`/);

    const d = await ok([...as('wilson'), 'prescription', 'dispense', rx]);
    expect(d).toMatchObject({ id: rx, patient: addr.alice, prescriber: addr.grey, dispensedBy: addr.wilson });
    const v = await ok([...as('wilson'), 'verify', rx]);
    expect(v.dispensed).toEqual({ by: addr.wilson, at: d.dispensedAt, txHash: d.txHash });
    expect((await emr([...as('alice'), 'verify', rx])).stdout).toMatch(/dispensed\s+by 0x[0-9a-fA-F]{40} \(wilson\) at /);

    await ok([...as('alice'), 'grant', 'mallory', '--types', 'prescription', '--expires', '30d']);
    const second = await emr([...as('mallory'), '--json', 'prescription', 'dispense', rx]);
    expect(second.code).toBe(3);
    expect(second.json?.error?.message).toBe(
      `prescription ${rx} was already dispensed by ${addr.wilson} at ${d.dispensedAt.replace('.000Z', 'Z')}`,
    );
    const lab = await add('grey', 'lab3.txt', 'K 4.1', 'lab');
    await ok([...as('alice'), 'grant', 'mallory', '--types', 'prescription,lab', '--expires', '30d']);
    expect((await emr([...as('mallory'), '--json', 'prescription', 'dispense', lab])).code).toBe(2);
  });
});

describe('emr emergency types --apply-existing (docs/SHARING.md § 4.2)', () => {
  it('says the rule and what stays closed; --apply-existing re-keys the existing records for the emergency key, which break-glass then opens', async () => {
    await ok([...as('admin'), 'admin', 'emergency-recipient']);
    const allergy = await add('alice', 'allergy.txt', 'Penicillin: anaphylaxis', 'allergy');
    const plain = await emr([...as('alice'), 'emergency', 'types', 'allergy']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Rule: emergency types cover records added from now on');
    expect(plain.stderr).toMatch(/warning: 1 existing record\(s\) of these types stay closed to break-glass/);
    const j = await ok([...as('alice'), 'emergency', 'types', 'allergy']);
    expect(j.existing).toMatchObject({ uncovered: [allergy], applied: false, rekeyed: [] });

    const applied = await ok([...as('alice'), 'emergency', 'types', 'allergy', '--apply-existing']);
    expect(applied.existing.applied).toBe(true);
    expect(applied.existing.rekeyed.map((r: any) => r.id)).toEqual([allergy]);
    // Covered now: nothing left to re-key.
    expect((await ok([...as('alice'), 'emergency', 'types', 'allergy'])).existing.uncovered).toEqual([]);

    await ok([...as('house'), 'emergency', 'open', 'alice', '--reason', 'unconscious in the ER']);
    const rel = await ok([...as('admin'), 'admin', 'emergency-release', 'alice', 'house']);
    expect(rel.released).toContain(allergy);
    const out = join(c.home, 'house-allergy.txt');
    await ok([...as('house'), 'fetch', allergy, '-o', out]);
    expect(readFileSync(out, 'utf8')).toBe('Penicillin: anaphylaxis');
  });
});
