// Issue 24 § 2 "Audit that can be narrowed": `emr audit --since/--until <date|block>
// --event --actor --record --limit --format csv|json`, and `--types all` shown as `all`
// (docs/CLI.md § Sharing, `emr audit`), through the built binary on the shared clinic.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
type Row = Record<string, any>;
let lab = '';
let note = '';
const events = async (...args: string[]): Promise<Row[]> => (await ok([...as('alice'), 'audit', ...args])).events;

beforeAll(async () => {
  await c.fromWorld();
  lab = (await ok([...as('grey'), 'record', 'add', file('lab.txt', 'Hb 13.9'), '--patient', 'alice', '--type', 'lab'])).records[0].id;
  note = (await ok([...as('grey'), 'record', 'add', file('note.txt', 'seen'), '--patient', 'alice', '--type', 'note'])).records[0].id;
  await ok([...as('alice'), 'grant', 'house', '--types', 'all', '--expires', '30d']);
  await ok([...as('house'), 'fetch', lab, '-o', join(c.home, 'lab-copy.txt')]);
  await ok([...as('wilson'), 'access', 'request', 'alice', '--types', 'vitals', '--reason', '=HYPERLINK("http://evil","x"), "quoted"']);
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('emr audit filters', () => {
  it('--event keeps only the named kinds; an unknown kind is exit 2 with a suggestion', async () => {
    const rows = await events('--event', 'granted,record-accessed');
    expect(new Set(rows.map((r) => r.event))).toEqual(new Set(['granted', 'record-accessed']));
    const bad = await emr([...as('alice'), '--json', 'audit', '--event', 'grantd']);
    expect(bad.code).toBe(2);
    expect(bad.json!.error!.hint).toMatch(/granted/);
  });

  it('--actor keeps what that account did (a profile name or an address); a malformed address is exit 2', async () => {
    const grey = (await ok([...as('grey'), 'whois', 'grey'])).address;
    const rows = await events('--actor', 'grey');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.actor).toBe(grey);
    expect(await events('--actor', grey.toLowerCase())).toEqual(rows);
    expect((await emr([...as('alice'), 'audit', '--actor', '0x12'])).code).toBe(2);
    expect((await emr([...as('alice'), 'audit', '--actor', 'nobody'])).code).toBe(7);
  });

  it('--record keeps the events naming that record; --limit keeps the most recent n', async () => {
    const rows = await events('--record', lab);
    expect(rows.map((r) => r.event)).toEqual(['record-added', 'record-accessed']);
    for (const r of rows) expect(r.recordId).toBe(lab);
    expect((await events('--record', note)).map((r) => r.event)).toEqual(['record-added']);
    const all = await events();
    expect(await events('--limit', '2')).toEqual(all.slice(-2));
    for (const bad of ['0', '-1', 'x', '1e3']) expect((await emr([...as('alice'), 'audit', '--limit', bad])).code).toBe(2);
    expect((await emr([...as('alice'), 'audit', '--record', 'abc'])).code).toBe(2);
  });

  it('--since/--until take block numbers or dates (as record list does); a bad one is exit 2', async () => {
    const all = await events();
    const mid = all[Math.floor(all.length / 2)]!;
    const byBlock = await events('--since', String(mid.block), '--until', String(all.at(-1)!.block - 1));
    expect(byBlock).toEqual(all.filter((r) => r.block >= mid.block && r.block <= all.at(-1)!.block - 1));
    const byTime = await events('--since', mid.time);
    expect(byTime).toEqual(all.filter((r) => r.time >= mid.time));
    expect(await events('--until', '2000-01-01')).toEqual([]);
    // A date-only --until is the end of that day (UTC), as in record list.
    expect((await events('--until', all.at(-1)!.time.slice(0, 10))).length).toBe(all.length);
    for (const bad of ['yesterday', '2026-13-40', '12abc'])
      expect((await emr([...as('alice'), 'audit', '--since', bad])).code, bad).toBe(2);
    expect((await emr([...as('alice'), 'audit', '--until', 'soon'])).code).toBe(2);
    expect((await emr([...as('alice'), 'audit', '--since', '10', '--until', '5'])).code).toBe(2);
  });

  it('a grant of every type reads `all`, not the thirteen names', async () => {
    const g = (await events('--event', 'granted')).find((r) => / house /.test(r.description))!;
    expect(g.description).toMatch(/granted house read \[all\]/);
    const human = await emr([...as('alice'), 'audit', '--event', 'granted']);
    expect(human.stdout).toMatch(/read \[all\]/);
    expect(human.stdout).not.toMatch(/note,lab,imaging/);
  });

  it('--format csv: a header, one quoted row per event, formula cells neutralised; --format json prints the events', async () => {
    const r = await emr([...as('alice'), 'audit', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('block,time,txHash,event,actor,actorName,patient,subject,recordId,reason,description');
    const all = await events();
    expect(lines).toHaveLength(all.length + 1);
    const req = lines.find((l) => l.includes('access-requested'))!;
    // The hostile reason starts with '=': prefixed with ' so a spreadsheet shows it as text; quotes doubled.
    expect(req).toContain(`"'=HYPERLINK(""http://evil"",""x""), ""quoted"""`);
    expect(lines.filter((l) => /(^|,)[=+@-]/.test(l))).toEqual([]);
    const filtered = await emr([...as('alice'), 'audit', '--format', 'csv', '--event', 'record-added']);
    expect(filtered.stdout.trimEnd().split('\n')).toHaveLength(3);
    const j = await emr([...as('alice'), 'audit', '--format', 'json', '--event', 'record-added']);
    expect(JSON.parse(j.stdout).events.map((e: Row) => e.recordId)).toEqual([lab, note]);
    const both = await emr([...as('alice'), '--json', 'audit', '--format', 'csv', '--limit', '1']);
    expect(both.json!.data.csv.split('\n')[0]).toMatch(/^block,time/);
    expect(both.json!.data.events).toHaveLength(1);
    expect((await emr([...as('alice'), 'audit', '--format', 'xml'])).code).toBe(2);
  });
});
