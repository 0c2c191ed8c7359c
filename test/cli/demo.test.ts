// The demo's narration must match what the chain says afterwards (issue: "its narration
// matches what happened on chain"), and the actors it leaves behind keep working.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emr } from '../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'emr-demo-test-'));
const as = (who: string) => ['--home', home, '--profile', who, '--password-file', join(home, `${who}.password`)];

afterAll(async () => {
  await emr(['--home', home, 'devnet', 'down']);
});

describe('emr demo', () => {
  let demo: any;

  it('runs the whole story and reports each step with its transaction', async () => {
    const r = await emr(['--home', home, '--json', 'demo', '--keep'], { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.ok).toBe(true);
    demo = r.json!.data;
    const kinds = demo.steps.map((s: any) => s.step);
    expect(kinds).toEqual([
      'keys',
      'devnet',
      'register',
      'register',
      'register',
      'verify',
      'verify',
      'grant',
      'add',
      'grant',
      'fetch',
      'revoke',
      'rekey',
      'denied',
      'rekey-check',
    ]);
    for (const s of demo.steps.filter((s: any) => !['keys', 'devnet', 'denied', 'rekey-check'].includes(s.step)))
      expect(s.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    // Narration went to stderr; stdout is the one JSON document.
    expect(r.stderr).toContain('dr-house tried to fetch record #1 again: refused');
  });

  it('the chain agrees: record #1 exists for alice by dr-grey, re-keyed, and the audit shows the read and the revoke', async () => {
    const list = await emr([...as('alice'), '--json', 'record', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const rec = list.json!.data.records.find((x: any) => x.id === demo.recordId);
    expect(rec).toMatchObject({ type: 'lab', rekeyed: true });
    const profiles = (await emr(['--home', home, '--json', 'key', 'list'])).json!.data.profiles;
    const addr = (n: string) => profiles.find((p: any) => p.name === n).address;
    expect(rec.patient).toBe(addr('alice'));
    expect(rec.author).toBe(addr('dr-grey'));
    expect(demo.audit.join('\n')).toMatch(/dr-house read record #1 of alice[\s\S]*alice revoked dr-house[\s\S]*alice re-keyed record #1/);
  });

  it('the patient fetches the re-keyed record: signature by dr-grey still valid, content intact', async () => {
    const out = join(home, 'alice-copy.txt');
    const r = await emr([...as('alice'), '--json', 'fetch', demo.recordId, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.data).toMatchObject({ id: demo.recordId, signatureValid: true, path: out });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(home, 'cbc-panel.txt'), 'utf8'));
    const v = await emr([...as('alice'), '--json', 'verify', demo.recordId]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.json!.data).toMatchObject({ signatureValid: true, authorAuthorized: true, authority: 'verified-provider' });
  });

  it('the revoked specialist is refused with exit 3 and writes nothing; the GP still reads', async () => {
    const out = join(home, 'house-again.txt');
    const r = await emr([...as('dr-house'), '--json', 'fetch', demo.recordId, '-o', out]);
    expect(r.code).toBe(3);
    expect(r.json?.error?.code).toBe('ACCESS_DENIED');
    expect(() => readFileSync(out)).toThrow();
    const g = await emr([...as('dr-grey'), '--json', 'fetch', demo.recordId, '-o', join(home, 'grey.txt'), '--no-receipt']);
    expect(g.code, g.stderr).toBe(0);
  });

  it('without -o, fetch names the file as the author signed it, then record-<id>, and never overwrites', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emr-fetch-cwd-'));
    const a = await emr([...as('alice'), '--json', 'fetch', demo.recordId, '--no-receipt'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    expect(a.json!.data.path).toBe('cbc-panel.txt');
    expect(readFileSync(join(dir, 'cbc-panel.txt'), 'utf8')).toBe(readFileSync(join(home, 'cbc-panel.txt'), 'utf8'));
    const b = await emr([...as('alice'), '--json', 'fetch', demo.recordId, '--no-receipt'], { cwd: dir });
    expect(b.json!.data.path).toBe(`record-${demo.recordId}`);
    const c = await emr([...as('alice'), '--json', 'fetch', demo.recordId, '--no-receipt'], { cwd: dir });
    expect(c.code).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['cbc-panel.txt', `record-${demo.recordId}`]);
  });

  it('an unknown record id is exit 7', async () => {
    const r = await emr([...as('alice'), '--json', 'fetch', '999']);
    expect(r.code).toBe(7);
  });
});

describe('emr demo without --keep (issue 10 point 11)', () => {
  it('every command its last lines suggest works after it returns (exit 0)', async () => {
    const h = mkdtempSync(join(tmpdir(), 'emr-demo-test-'));
    try {
      const r = await emr(['--home', h, 'demo'], { timeoutMs: 110_000 });
      expect(r.code, r.stderr).toBe(0);
      const tail = r.stdout.slice(r.stdout.indexOf('Explore further'));
      const suggested = [...tail.matchAll(/^ {2}\$ emr (.+)$/gm)].map((m) => m[1]!.split(' '));
      expect(suggested.length).toBeGreaterThanOrEqual(3);
      for (const args of suggested) {
        const s = await emr(args, { timeoutMs: 60_000 });
        expect(s.code, `emr ${args.join(' ')}\n${s.stderr}`).toBe(0);
      }
    } finally {
      await emr(['--home', h, 'devnet', 'down']);
    }
  }, 240_000);
});
