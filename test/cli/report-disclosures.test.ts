// Issue 24 § 2 "An accounting of disclosures": `emr report disclosures --since --until`
// (docs/CLI.md § Sharing, `emr report disclosures`; docs/SHARING.md § 7) lists exactly the
// accesses a scripted scenario made in the period — no more, no fewer — each with who, what
// record, when, on what authority, and whether a receipt proves it or it is inferred.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
type D = Record<string, any>;
const addr: Record<string, string> = {};
let lab = '';
let note = '';
let requestId = '';
let since = '';
let until = '';
const iso = (s: number) => new Date(s * 1000).toISOString();
const head = async () => Number(BigInt(((await c.rpc('eth_getBlockByNumber', ['latest', false])) as { timestamp: string }).timestamp));

beforeAll(async () => {
  await c.fromWorld(); // before the period: alice granted grey lab,note --write
  for (const n of ['alice', 'grey', 'house', 'wilson']) addr[n] = (await ok([...as(n), 'whois', n])).address;
  // The period starts a day later, so nothing the world did falls in it.
  await c.rpc('evm_increaseTime', [86_400]);
  await c.rpc('evm_mine');
  since = iso((await head()) + 1);
  // anvil mines blocks of the same second with one timestamp: the period's first block must
  // not share the last one's (a fast run made the grant below fall before `since`).
  await c.rpc('evm_setNextBlockTimestamp', [(await head()) + 1]);
  lab = (await ok([...as('grey'), 'record', 'add', file('lab.txt', 'Hb 13.9'), '--patient', 'alice', '--type', 'lab'])).records[0].id;
  note = (await ok([...as('grey'), 'record', 'add', file('note.txt', 'seen'), '--patient', 'alice', '--type', 'note'])).records[0].id;
  // 1. a grant (inferred: house can open the lab record)  2. house reads it (receipt)
  await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
  await ok([...as('house'), 'fetch', lab, '-o', join(c.home, 'h-lab.txt')]);
  // 3. a request approved (inferred)  and a read without a receipt (NOT a listed read)
  requestId = (await ok([...as('wilson'), 'access', 'request', 'alice', '--types', 'note', '--reason', 'follow-up'])).requestId;
  await ok([...as('alice'), 'access', 'approve', requestId]);
  await ok([...as('wilson'), 'fetch', note, '--no-receipt', '-o', join(c.home, 'w-note.txt')]);
  // 4. break-glass (inferred)  5. the author reads his own record (receipt)  — the patient's own read is no disclosure
  await ok([...as('alice'), 'emergency', 'types', 'lab', '--no-apply-existing']);
  await ok([...as('wilson'), 'emergency', 'open', 'alice', '--reason', 'unconscious in ER']);
  await ok([...as('grey'), 'fetch', lab, '--receipt', '-o', join(c.home, 'g-lab.txt')]);
  await ok([...as('alice'), 'fetch', lab, '--receipt', '-o', join(c.home, 'a-lab.txt')]);
  until = iso(await head());
  // After the period: another read that must not be listed.
  await c.rpc('evm_increaseTime', [60]);
  await ok([...as('house'), 'fetch', lab, '-o', join(c.home, 'h-lab-2.txt')]);
}, 300_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('emr report disclosures', () => {
  it('MUST (SHARING.md § 7): lists exactly the accesses made in the period, with who, what, when, authority and evidence', async () => {
    const d = await ok([...as('alice'), 'report', 'disclosures', '--since', since, '--until', until]);
    expect(d.patient).toBe(addr.alice);
    const rows = (d.disclosures as D[]).map((x) => [x.kind, x.whoName, x.who, x.records, x.authority, x.requestId, x.evidence]);
    expect(rows).toEqual([
      ['grant', 'house', addr.house, [lab], 'grant', null, 'inferred'],
      ['read', 'house', addr.house, [lab], 'grant', null, 'receipt'],
      ['grant', 'wilson', addr.wilson, [note], 'request', requestId, 'inferred'],
      ['emergency', 'wilson', addr.wilson, [lab], 'emergency', null, 'inferred'],
      ['read', 'grey', addr.grey, [lab], 'author', null, 'receipt'],
    ]);
    for (const x of d.disclosures as D[]) {
      expect(x.time >= since && x.time <= until, x.time).toBe(true);
      expect(x.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    }
    expect(d.counts).toEqual({ reads: 2, grants: 2, emergencies: 1, releases: 0 });
    expect(d.note).toMatch(/voluntary.*inferred/);
  });

  it('a provider names the patient; the same report as text (receipt vs inferred said) and as CSV', async () => {
    const d = await ok([...as('house'), 'report', 'disclosures', '--patient', 'alice', '--since', since, '--until', until]);
    expect(d.disclosures).toHaveLength(5);
    const text = await emr([...as('alice'), 'report', 'disclosures', '--since', since, '--until', until]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/read\s+house\s+#\d+\s+grant\s+receipt/);
    expect(text.stdout).toMatch(new RegExp(`grant\\s+wilson\\s+#${note}\\s+request ${requestId}\\s+inferred`));
    expect(text.stdout).toMatch(/receipts are voluntary/);
    const csv = await emr([...as('alice'), 'report', 'disclosures', '--since', since, '--until', until, '--format', 'csv']);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('time,block,txHash,kind,who,whoName,records,types,authority,requestId,evidence,detail');
    expect(lines).toHaveLength(6);
  });

  it('the period bounds what is listed; the period is required and checked (exit 2)', async () => {
    const day = since.slice(0, 10);
    const before = await ok([...as('alice'), 'report', 'disclosures', '--since', '2000-01-01', '--until', '2000-12-31']);
    expect(before.disclosures).toEqual([]);
    const wide = await ok([...as('alice'), 'report', 'disclosures', '--since', day, '--until', '2999-01-01']);
    // The read after the period is in the wider one.
    expect((wide.disclosures as D[]).filter((x) => x.kind === 'read' && x.whoName === 'house')).toHaveLength(2);
    for (const args of [[], ['--since', day], ['--since', 'soon', '--until', day], ['--since', '2026-02-01', '--until', '2026-01-01']])
      expect((await emr([...as('alice'), 'report', 'disclosures', ...args])).code, args.join(' ')).toBe(2);
    expect((await emr([...as('house'), 'report', 'disclosures', '--since', day, '--until', day])).code).toBe(2);
    expect((await emr([...as('alice'), 'report', 'disclosures', '--since', day, '--until', day, '--format', 'pdf'])).code).toBe(2);
  });

  it('--format fhir: the source events of the period as a validated AuditEvent Bundle', async () => {
    const b = await ok([...as('alice'), 'report', 'disclosures', '--since', since, '--until', until, '--format', 'fhir']);
    expect(b.resourceType).toBe('Bundle');
    // 2 grants (+ the approval's Granted), 1 emergency, 3 receipts (the patient's own included: FHIR shows the events as they are).
    expect(b.entry.length).toBeGreaterThanOrEqual(5);
  });
});
