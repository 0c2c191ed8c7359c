// docs/CLI.md § Sharing: access request → list → deny, and `emr audit` (one document with
// --json; --follow streams events as they are mined), through the built binary.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, clinic, type EmrRun, emr, ROOT } from '../helpers/cli.js';

// The shared clinic (test/helpers/shared-world.ts): alice and bob registered patients, house
// a verified provider; alice's only earlier events are her registration and her grant to grey.
const c = clinic();
const names = ['admin', 'alice', 'house', 'bob'] as const;
type Who = (typeof names)[number];
const globals = (who: Who) => c.as(who);
const as = (who: Who, args: string[]) => emr([...globals(who), '--json', ...args]);
const ok = (r: EmrRun) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(r.json?.ok).toBe(true);
  return r.json!.data;
};
const addr = {} as Record<Who, string>;

beforeAll(async () => {
  await c.fromWorld();
  for (const n of names) addr[n] = c.address(n);
});

afterAll(async () => {
  await c.devnetDown();
});

describe('emr access request / list / deny', () => {
  let requestId: string;

  it('a provider requests; the patient lists it pending; the provider sees it with --mine', async () => {
    const d = ok(await as('house', ['access', 'request', 'alice', '--types', 'lab,imaging', '--reason', 'follow-up on CBC']));
    expect(d).toMatchObject({ patient: addr.alice, types: ['lab', 'imaging'] });
    expect(d.requestId).toMatch(/^\d+$/);
    expect(d.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    requestId = d.requestId;
    const list = ok(await as('alice', ['access', 'list'])).requests;
    expect(list).toEqual([
      expect.objectContaining({
        requestId,
        patient: addr.alice,
        provider: addr.house,
        types: ['lab', 'imaging'],
        reason: 'follow-up on CBC',
        state: 'pending',
      }),
    ]);
    expect(Date.parse(list[0].createdAt)).not.toBeNaN();
    const mine = ok(await as('house', ['access', 'list', '--mine'])).requests;
    expect(mine.map((r: { requestId: string }) => r.requestId)).toEqual([requestId]);
    // bob has no requests
    expect(ok(await as('bob', ['access', 'list', '--all'])).requests).toEqual([]);
  });

  it('unknown types are exit 2; a patient cannot request (exit 3)', async () => {
    expect((await as('house', ['access', 'request', 'alice', '--types', 'lab,nonsense'])).code).toBe(2);
    const r = await as('bob', ['access', 'request', 'alice', '--types', 'lab']);
    expect(r.code).toBe(3);
  });

  it('the patient denies; denying twice is exit 3; another patient cannot deny it (exit 7); the list hides it unless --all, pending first', async () => {
    const second = ok(await as('house', ['access', 'request', 'alice', '--types', 'vitals'])).requestId;
    expect((await as('bob', ['access', 'deny', requestId])).code).toBe(7);
    const d = ok(await as('alice', ['access', 'deny', requestId]));
    expect(d).toMatchObject({ requestId, provider: addr.house, state: 'denied' });
    const again = await as('alice', ['access', 'deny', requestId]);
    expect(again.code).toBe(3);
    expect(again.json?.error?.code).toBe('ACCESS_DENIED');
    expect((await as('alice', ['access', 'deny', '999'])).code).toBe(7);
    expect((await as('alice', ['access', 'deny', 'abc'])).code).toBe(2);
    const pending = ok(await as('alice', ['access', 'list'])).requests;
    expect(pending.map((r: { requestId: string }) => r.requestId)).toEqual([second]);
    const all = ok(await as('alice', ['access', 'list', '--all'])).requests;
    expect(all.map((r: { requestId: string; state: string }) => [r.requestId, r.state])).toEqual([
      [second, 'pending'],
      [requestId, 'denied'],
    ]);
    const mine = ok(await as('house', ['access', 'list', '--mine'])).requests;
    expect(mine.find((r: { requestId: string }) => r.requestId === requestId).state).toBe('denied');
  });
});

describe('emr audit', () => {
  it('shows registration, verification, request, denial and emergency with actor names; --json is one document', async () => {
    ok(await as('house', ['emergency', 'open', 'alice', '--reason', 'unconscious in ER']));
    const r = await as('alice', ['audit']);
    // exactly one JSON document on stdout
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const events = ok(r).events as Array<Record<string, any>>;
    const kinds = events.map((e) => e.event);
    expect(kinds).toEqual(expect.arrayContaining(['registered', 'access-requested', 'request-denied', 'emergency-opened']));
    // alice's own trail only: no other patient's events, no admin-only events
    for (const e of events) expect(e.patient).toBe(addr.alice);
    expect(kinds).not.toContain('provider-verified');
    const em = events.find((e) => e.event === 'emergency-opened')!;
    expect(em).toMatchObject({ actor: addr.house, actorName: 'house', patient: addr.alice });
    expect(em.details.reason).toBe('unconscious in ER');
    expect(em.description).toMatch(/house .*alice/);
    expect(em.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Date.parse(em.time)).not.toBeNaN();
    const den = events.find((e) => e.event === 'request-denied')!;
    expect(den).toMatchObject({ actor: addr.alice, subject: addr.house });
    // blocks ascend
    const blocks = events.map((e) => e.block);
    expect([...blocks].sort((a, b) => a - b)).toEqual(blocks);
  });

  it('an admin sees everything (verification by name); --patient filters; --since narrows; human lines name profiles', async () => {
    const all = ok(await as('admin', ['audit'])).events as Array<Record<string, any>>;
    const ver = all.find((e) => e.event === 'provider-verified' && e.subject === addr.house)!;
    expect(ver).toMatchObject({ actor: addr.admin, actorName: 'admin', subject: addr.house });
    expect(all.some((e) => e.event === 'registered' && e.actor === addr.bob)).toBe(true);
    const bob = ok(await as('admin', ['audit', '--patient', 'bob'])).events as Array<Record<string, any>>;
    expect(bob.length).toBeGreaterThan(0);
    for (const e of bob) expect(e.patient).toBe(addr.bob);
    const last = all.at(-1)!.block;
    const since = ok(await as('admin', ['audit', '--since', String(last)])).events as Array<Record<string, any>>;
    expect(since.length).toBeGreaterThan(0);
    for (const e of since) expect(e.block).toBeGreaterThanOrEqual(last);
    expect((await as('admin', ['audit', '--since', 'yesterday'])).code).toBe(2);
    expect((await as('admin', ['audit', '--patient', 'nobody'])).code).toBe(7);
    const human = await emr([...globals('alice'), 'audit']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/EMERGENCY: house opened break-glass access to alice/);
    expect(human.stdout).toMatch(/alice denied request \d+ of house/);
  });

  for (const json of [false, true]) {
    it(`--follow${json ? ' --json' : ''} prints an event that happens after it started, and exits 0 on SIGINT`, async () => {
      const child = spawn(process.execPath, [BIN, ...globals('alice'), ...(json ? ['--json'] : []), 'audit', '--follow'], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const waitFor = (get: () => string, re: RegExp, ms = 30_000) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stdout=${out} stderr=${err}`)), ms);
          const check = () => {
            if (re.test(get())) {
              clearTimeout(timer);
              resolve();
            }
          };
          child.stdout.on('data', (d: Buffer) => ((out += d), check()));
          child.stderr.on('data', (d: Buffer) => ((err += d), check()));
          check();
        });
      try {
        await waitFor(() => err, /following .* from block \d+/);
        const req = ok(
          await as('house', ['access', 'request', 'alice', '--types', 'allergy', '--reason', json ? 'json follow' : 'human follow']),
        );
        await waitFor(() => out, json ? /"access-requested"/ : /house asked alice for \[allergy\]/);
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        if (json) {
          const lines = out
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l));
          const ev = lines.find((l) => l.data?.event?.event === 'access-requested');
          expect(ev.ok).toBe(true);
          expect(ev.data.event).toMatchObject({ actor: addr.house, actorName: 'house', patient: addr.alice, txHash: req.txHash });
          expect(lines.at(-1)).toMatchObject({ ok: true, data: { stopped: true, signal: 'SIGINT' } });
        } else {
          // history is not replayed without --since: only the new event
          expect(out).not.toMatch(/EMERGENCY/);
        }
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});
