// Issue 10 point 1: a pseudo-terminal with 0 columns (cron's `script`, CI, some `docker exec
// -t`) is no terminal for progress: the command finishes and its output stays small.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic } from '../helpers/cli.js';
import { emrInPty } from '../helpers/pty.js';

const c = clinic();
const { as, ok, file } = c;

beforeAll(async () => {
  await c.keygen([
    ['admin', 'admin'],
    ['alice', 'patient'],
    ['grey', 'provider'],
  ]);
}, 120_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('progress in a 0-column pseudo-terminal', () => {
  it('devnet up and record add finish under `script` with 0 columns, without flooding the terminal', async () => {
    const up = await emrInPty([...as('admin'), 'devnet', 'up'], { cols: 0, rows: 0, timeoutMs: 90_000, maxBytes: 256 * 1024 });
    expect(up.timedOut, up.output.slice(-500)).toBe(false);
    expect(up.code, up.output.slice(-500)).toBe(0);
    expect(up.bytes).toBeLessThan(64 * 1024);
    await ok([...as('alice'), 'register']);
    await ok([...as('grey'), 'register', '--role', 'provider']);
    await ok([...as('admin'), 'admin', 'verify', 'grey']);
    await ok([...as('alice'), 'grant', 'grey', '--types', 'lab', '--write', '--expires', '1y']);
    const add = await emrInPty(
      [...as('grey'), 'record', 'add', file('tiny.txt', '18 bytes of lab..\n'), '--patient', 'alice', '--type', 'lab'],
      { cols: 0, rows: 0, timeoutMs: 60_000, maxBytes: 256 * 1024 },
    );
    expect(add.timedOut, add.output.slice(-500)).toBe(false);
    expect(add.code, add.output.slice(-500)).toBe(0);
    expect(add.bytes).toBeLessThan(64 * 1024);
    expect(add.output).toMatch(/lab/);
  }, 240_000);
});
