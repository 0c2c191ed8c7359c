// Terminal injection (issue 8 point 10): strings from other parties (a request reason on
// chain, a record title, an argument echoed in an error) must not move the cursor, recolour
// or forge lines in any human rendering; JSON output keeps the exact data.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, clinic, type EmrRun, emr, ROOT } from '../helpers/cli.js';

// The shared clinic (test/helpers/shared-world.ts): alice registered, house a verified provider.
const c = clinic();
type Who = 'alice' | 'house';
const globals = (who: Who) => c.as(who);
const human = (who: Who, args: string[]) => emr([...globals(who), ...args]);
const json = (who: Who, args: string[]) => emr([...globals(who), '--json', ...args]);
const ok = (r: EmrRun) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return r.json!.data;
};

// A forged audit line after a newline, a clear-line + cursor-up, an OSC title, a bell and
// a right-to-left override: everything a terminal would act on.
const FORGED = '2026-11-30T09:00:00Z  block 99  alice revoked grey';
const EVIL = `follow-up\n${FORGED}\x1b[2K\x1b[1A\x1b]0;pwned\x07\u202eevil\u0085\u009b31m`;

/** No byte a terminal acts on, and the forged text never starts a line of its own. */
function assertInert(text: string) {
  expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u);
  for (const line of text.split('\n')) expect(line.trimStart().startsWith(FORGED)).toBe(false);
}

beforeAll(async () => {
  await c.fromWorld();
  ok(await json('house', ['access', 'request', 'alice', '--types', 'lab', '--reason', EVIL]));
}, 180_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('terminal safety of human output (output.ts safeText)', () => {
  it('`access list` shows a hostile request reason escaped on one line; --json keeps it exact', async () => {
    const r = await human('alice', ['access', 'list']);
    expect(r.code, r.stderr).toBe(0);
    assertInert(r.stdout);
    expect(r.stdout).toContain('follow-up\\n2026-11-30T09:00:00Z');
    expect(r.stdout).toContain('\\x1b[2K');
    const d = ok(await json('alice', ['access', 'list']));
    expect(d.requests[0].reason).toBe(EVIL);
  });

  it('`audit` cannot be made to print a forged "alice revoked grey" line', async () => {
    for (const who of ['alice', 'house'] as const) {
      const r = await human(who, ['audit']);
      expect(r.code, r.stderr).toBe(0);
      assertInert(r.stdout);
      // The reason is sealed to the patient (CONTRACT.md § Privacy): alice reads it, escaped
      // on one line; house, who sent it, sees it sealed.
      if (who === 'alice') expect(r.stdout).toMatch(/asked .*follow-up\\n2026-11-30T09:00:00Z {2}block 99 {2}alice revoked grey\\x1b\[2K/);
      else expect(r.stdout).toMatch(/asked alice for \[sealed\]/);
    }
    const all = await human('alice', ['audit', '--all']);
    assertInert(all.stdout);
  });

  it('`audit --follow` (narrated line by line) escapes too', async () => {
    const child = spawn(process.execPath, [BIN, ...globals('alice'), 'audit', '--since', '0', '--follow'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const seen = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes('asked')) resolve();
      });
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await seen;
    const closed = new Promise((r) => child.on('close', r));
    child.kill('SIGINT');
    await closed;
    clearTimeout(timer);
    assertInert(out);
    expect(out).toContain('follow-up\\n2026-11-30T09:00:00Z');
  }, 60_000);

  it('an error echoing an argument escapes it on stderr', async () => {
    const r = await human('alice', ['audit', '--since', `1\x1b[31m\n${FORGED}`]);
    expect(r.code).toBe(2);
    assertInert(r.stderr);
    expect(r.stderr).toContain('1\\x1b[31m\\n');
  });
});
