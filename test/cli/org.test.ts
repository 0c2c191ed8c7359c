// Issue 24 § 1: organisations through the built binary on a devnet (docs/CLI.md
// § Organisations; docs/SHARING.md § 9; docs/CONTRACT.md § Organisations).
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
let org = '';

beforeAll(async () => {
  // The shared clinic: grey, house, wilson verified, mallory not; alice grants grey lab,note --write 1y.
  await c.fromWorld();
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
  rmSync(c.home, { recursive: true, force: true });
});

const addLab = async (name: string, text: string): Promise<string> =>
  (await ok([...as('grey'), 'record', 'add', file(name, text), '--patient', 'alice', '--type', 'lab'])).records[0].id;
const fetchAs = (who: string, id: string) =>
  emr([...as(who), 'fetch', id, '-o', file(`${who}-${id}-${Math.random()}.out`, ''), '--force', '--json']);

describe('emr org (docs/CLI.md § Organisations)', () => {
  it('MUST (SHARING.md § 9.1): the consortium creates an org; only its admins manage members (exit 3 for anyone else)', async () => {
    const notAdmin = await emr([...as('grey'), 'org', 'create', 'Grey Clinic', '--admin', 'grey']);
    expect(notAdmin.code).toBe(3);
    const made = await ok([...as('admin'), 'org', 'create', 'St Elsewhere', '--admin', 'house']);
    org = made.org;
    expect(made).toMatchObject({ name: 'St Elsewhere' });
    const refused = await emr([...as('grey'), 'org', 'add', 'St Elsewhere', 'wilson']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/not an admin of organisation/);
    const consortium = await emr([...as('admin'), 'org', 'add', org, 'wilson']);
    expect(consortium.code).toBe(3);
    await ok([...as('house'), 'org', 'add', 'St Elsewhere', 'wilson', '--department', 'ward 3']);
    const shown = await ok([...as('alice'), 'org', 'show', 'St Elsewhere']);
    expect(shown.members).toMatchObject([{ department: 'ward 3', current: true, leftAt: null }]);
    expect((await ok([...as('alice'), 'org', 'list'])).orgs).toContainEqual({ id: org, name: 'St Elsewhere' });
    expect((await emr([...as('alice'), 'org', 'show', 'No Such Hospital'])).code).toBe(7);
  });

  it('MUST (SHARING.md § 9.2–9.4): a member reads what was granted; one who joins later reads what is added after; one removed reads nothing added after; revoke --org reports exposure', async () => {
    const before = await addLab('before.txt', 'Hb 12.0');
    const g = await ok([...as('alice'), 'grant', '--org', 'St Elsewhere', '--types', 'lab', '--expires', '1y']);
    expect(g).toMatchObject({ org, types: ['lab'], keysDelivered: expect.arrayContaining([before]) });
    expect(g.members).toHaveLength(1);
    const r0 = await fetchAs('wilson', before);
    expect(r0.code).toBe(0);
    expect(JSON.parse(r0.stdout).data).toMatchObject({ viaOrg: org, type: 'lab' });
    // house (the org's admin) joins after the grant: it reads what is added from now on.
    await ok([...as('house'), 'org', 'add', org, 'house']);
    const during = await addLab('during.txt', 'Hb 12.5');
    expect((await fetchAs('house', during)).code).toBe(0);
    expect((await fetchAs('wilson', during)).code).toBe(0);
    // wilson leaves: what is added after is neither encrypted to it nor readable on chain.
    await ok([...as('house'), 'org', 'remove', org, 'wilson']);
    const after = await addLab('after.txt', 'Hb 13.0');
    const denied = await fetchAs('wilson', after);
    expect(denied.code).toBe(3);
    expect((await fetchAs('house', after)).code).toBe(0);
    expect((await fetchAs('wilson', before)).code).toBe(0);
    // mallory was never a member.
    expect((await fetchAs('mallory', after)).code).toBe(3);

    const rv = await ok([...as('alice'), 'revoke', '--org', 'St Elsewhere', '--rekey']);
    expect(rv.stillHeld.fetched).toEqual(expect.arrayContaining([before, during, after]));
    expect(rv.stillHeld.couldRead).toEqual(expect.arrayContaining([before, during, after]));
    expect(rv.rekeyed.map((r: any) => r.id)).toEqual(expect.arrayContaining([before, during, after]));
    expect((await fetchAs('house', after)).code).toBe(3);
    // grey's own grant is untouched: the author still reads its re-keyed record.
    expect((await fetchAs('grey', after)).code).toBe(0);
  });

  it('MUST (SHARING.md § 9.1): a hostile org name is escaped in every human view, exact in --json', async () => {
    const name = 'Evil\u001b[31mRed\nforged: line\u202e';
    const made = await ok([...as('admin'), 'org', 'create', name, '--admin', 'house']);
    expect(made.name).toBe(name);
    // A member and a grant, so that `grant list` names the org too (§ 9.8).
    await ok([...as('house'), 'org', 'add', made.org, 'wilson']);
    await ok([...as('alice'), 'grant', '--org', made.org, '--types', 'note', '--expires', '1d']);
    expect((await ok([...as('alice'), 'grant', 'list'])).orgGrants.find((g: any) => g.org === made.org).name).toBe(name);
    for (const args of [
      ['org', 'list'],
      ['org', 'show', made.org],
      ['grant', 'list'],
    ]) {
      const out = await emr([...as('alice'), ...args]);
      expect(out.code).toBe(0);
      expect(out.stdout).not.toMatch(/\u001b|\u202e/);
      expect(out.stdout).not.toMatch(/^forged: line/m);
      expect(out.stdout).toContain('Evil\\x1b[31mRed\\nforged: line\\u{202e}');
    }
  });

  it('MUST (FORMAT.md § 3.5): a member records for its org (signed, shown by record list --details and fetch --json); a non-member is refused (exit 3)', async () => {
    await ok([...as('house'), 'org', 'add', org, 'grey']);
    const id = (
      await ok([...as('grey'), 'record', 'add', file('org.txt', 'Hb 14'), '--patient', 'alice', '--type', 'lab', '--org', 'St Elsewhere'])
    ).records[0].id;
    const listed = await ok([...as('alice'), 'record', 'list', '--details']);
    expect(listed.records.find((r: any) => r.id === id)).toMatchObject({ org });
    const fetched = await fetchAs('alice', id);
    expect(JSON.parse(fetched.stdout).data).toMatchObject({ org });
    const out = file('export.json', '');
    await ok([...as('alice'), 'record', 'export', '--format', 'fhir', '-o', out, '--force']);
    const doc = JSON.parse(readFileSync(out, 'utf8')).entry.find((e: any) => e.resource.id === `emr-record-${id}`).resource;
    // FHIR.md § 9.6: the Organization of the export, by its fullUrl and its identifier on this contract.
    expect(doc.custodian).toMatchObject({
      reference: expect.stringMatching(/^urn:emr:org:eip155:\d+:0x[0-9a-f]{40}:\d+$/),
      identifier: { value: org },
    });
    await ok([...as('house'), 'org', 'remove', org, 'grey']);
    const refused = await emr([
      ...as('grey'),
      'record',
      'add',
      file('org2.txt', 'Hb 15'),
      '--patient',
      'alice',
      '--type',
      'lab',
      '--org',
      org,
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/not a member of organisation/);
  });

  it('MUST (SHARING.md § 9.8): grant list names each org grant and the members who joined after the last key delivery; a re-grant gives them the older records', async () => {
    const made = await ok([...as('admin'), 'org', 'create', 'Late Clinic', '--admin', 'house']);
    // Wilson joins, then the grant delivers the keys, in blocks of one timestamp (anvil mines
    // blocks of the same second so; a script does it): he has the keys, he is not pending.
    const t = Number(BigInt(((await c.rpc('eth_getBlockByNumber', ['latest', false])) as { timestamp: string }).timestamp)) + 10;
    await c.rpc('evm_setNextBlockTimestamp', [t]);
    await ok([...as('house'), 'org', 'add', made.org, 'wilson']);
    const old = await addLab('late-old.txt', 'Na 140');
    await c.rpc('evm_setNextBlockTimestamp', [t]);
    await ok([...as('alice'), 'grant', '--org', made.org, '--types', 'lab', '--expires', '1y']);
    const listed0 = await ok([...as('alice'), 'grant', 'list']);
    const entry0 = listed0.orgGrants.find((g: any) => g.org === made.org);
    expect(entry0).toMatchObject({ name: 'Late Clinic', live: true, read: ['lab'], pendingKeys: [] });
    expect(entry0.members).toHaveLength(1);
    // house joins after the grant: it has no key to the record made before.
    await ok([...as('house'), 'org', 'add', made.org, 'house']);
    const house = (await ok([...as('house'), 'whois', 'house'])).address;
    const listed = await ok([...as('alice'), 'grant', 'list']);
    expect(listed.orgGrants.find((g: any) => g.org === made.org)).toMatchObject({ pendingKeys: [house] });
    const human = await emr([...as('alice'), 'grant', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Late Clinic \[org \d+\]: lab until/);
    expect(human.stderr).toMatch(
      new RegExp(`1 member\\(s\\) of org ${made.org} joined after your last key delivery .*emr grant --org ${made.org} --types lab`),
    );
    expect((await fetchAs('house', old)).code).not.toBe(0);
    // The re-grant the hint names delivers to the members of now: house reads the older record.
    const again = await ok([...as('alice'), 'grant', '--org', made.org, '--types', 'lab', '--expires', '1y']);
    expect(again.keysDelivered).toContain(old);
    expect((await ok([...as('alice'), 'grant', 'list'])).orgGrants.find((g: any) => g.org === made.org).pendingKeys).toEqual([]);
    expect((await fetchAs('house', old)).code).toBe(0);
  });

  it('usage: --department without --org, --org with a provider or --write: exit 2', async () => {
    expect((await emr([...as('alice'), 'grant', 'grey', '--department', 'x', '--types', 'lab'])).code).toBe(2);
    expect((await emr([...as('alice'), 'grant', 'grey', '--org', org, '--types', 'lab'])).code).toBe(2);
    expect((await emr([...as('alice'), 'grant', '--org', org, '--types', 'lab', '--write'])).code).toBe(2);
  });
});
