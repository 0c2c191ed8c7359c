// Issue 24 § 2 "Notifications": `emr audit --follow --exec <command>` (docs/DEVNET.md § 6.2)
// runs the command once per new event with the event as JSON on stdin, without a shell and
// without emr's secrets in its environment; a failure is reported and retried; every event
// is delivered once across a restart (the cursor in the home).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, clinic, emr, ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const c = clinic();
const { as, ok } = c;
let out = '';
let sink = '';

beforeAll(async () => {
  await c.fromWorld();
  out = join(c.home, 'events.ndjson');
  // The command: appends {event, secret} per run; fails its very first run (the retry is seen).
  sink = c.file(
    'sink.mjs',
    `import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const marker = process.argv[3];
  if (!existsSync(marker)) { writeFileSync(marker, '1'); console.error('first run fails'); process.exit(3); }
  const e = JSON.parse(input);
  appendFileSync(process.argv[2], JSON.stringify({ event: e.event, tx: e.txHash, reason: e.details.reason ?? null,
    secret: Object.keys(process.env).filter((k) => k.startsWith('EMR_')) }) + '\\n');
});
`,
  );
}, 120_000);

afterAll(async () => {
  await c.devnetDown();
});

function follow() {
  const marker = join(c.home, 'failed-once');
  const child = spawn(
    process.execPath,
    [BIN, ...as('alice'), 'audit', '--follow', '--exec', `${process.execPath} ${sink} ${out} ${marker}`],
    {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', EMR_PASSWORD: 'not-for-children' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, exited, err: () => err };
}
const lines = () =>
  existsSync(out)
    ? readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

describe('emr audit --follow --exec', () => {
  it('MUST (DEVNET.md § 6.2): delivers each new event once, as JSON on stdin, with no EMR_ variable; retries a failure; resumes after a restart without repeats', async () => {
    const f = follow();
    try {
      await waitFor(() => /following .* from block \d+/.test(f.err()) || f.child.exitCode !== null, { what: 'follow to start' });
      expect(f.child.exitCode, f.err()).toBe(null);
      const r1 = await ok([...as('wilson'), 'access', 'request', 'alice', '--types', 'vitals', '--reason', 'one; rm -rf ~ $(id)']);
      const r2 = await ok([...as('wilson'), 'access', 'request', 'alice', '--types', 'allergy', '--reason', 'two']);
      await waitFor(() => lines().length >= 2, { what: 'two deliveries' });
      expect(f.err()).toMatch(/--exec failed for access-requested .*attempt 1 of 3: exit 3: first run fails/);
      f.child.kill('SIGINT');
      expect(await f.exited).toBe(0);
      expect(lines()).toEqual([
        { event: 'access-requested', tx: r1.txHash, reason: 'one; rm -rf ~ $(id)', secret: [] },
        { event: 'access-requested', tx: r2.txHash, reason: 'two', secret: [] },
      ]);
    } finally {
      if (f.child.exitCode === null) f.child.kill('SIGKILL');
    }
    // While nobody follows, one more event; the next follow delivers it, and only it.
    const r3 = await ok([...as('wilson'), 'access', 'request', 'alice', '--types', 'lab', '--reason', 'three']);
    const g = follow();
    try {
      await waitFor(() => lines().length >= 3, { what: 'the missed event' });
      const r4 = await ok([...as('wilson'), 'access', 'request', 'alice', '--types', 'note', '--reason', 'four']);
      await waitFor(() => lines().length >= 4, { what: 'a new event after the restart' });
      g.child.kill('SIGINT');
      expect(await g.exited).toBe(0);
      expect(lines().map((l) => l.tx)).toEqual([expect.any(String), expect.any(String), r3.txHash, r4.txHash]);
      expect(new Set(lines().map((l) => l.tx)).size).toBe(4);
    } finally {
      if (g.child.exitCode === null) g.child.kill('SIGKILL');
    }
  }, 180_000);

  it('--exec without --follow, or empty, is exit 2', async () => {
    expect((await emr([...as('alice'), 'audit', '--exec', 'true'])).code).toBe(2);
    expect((await emr([...as('alice'), 'audit', '--follow', '--exec', '  '])).code).toBe(2);
  });
});
