// SIGKILL mid-decrypt leaves a 0600 temporary file of partial plaintext beside the output
// (no process can clean up after SIGKILL). FORMAT.md § 1.6: the next emr run writing that
// output removes its own stale temporary files — exact name pattern, regular file, one
// link, same uid, mode 0600, last written before the run — and nothing else.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, emr, tempHome } from '../helpers/cli.js';

const t = tempHome();
const as = ['--home', t.home, '--profile', 'x', '--password-file', t.pw('x')];
const big = join(t.home, 'big.bin');
const sealed = join(t.home, 'big.bin.age');
const ours = (dir: string) => readdirSync(dir).filter((n) => /^\.plain\.bin\.[0-9a-f]{12}\.tmp$/.test(n));

beforeAll(async () => {
  expect((await emr([...as, 'keygen', '--name', 'x', '--role', 'patient', '--json'])).code).toBe(0);
  writeFileSync(big, randomBytes(96 * 1024 * 1024));
  const e = await emr([...as, 'encrypt', big, '--self', '-o', sealed, '--json'], { timeoutMs: 180_000 });
  expect(e.code, e.stderr).toBe(0);
}, 240_000);

describe('stale temporary files after SIGKILL (FORMAT.md § 1.6)', () => {
  it('the next decrypt into that directory MUST remove the temporary file a killed run left, and only ours', async () => {
    const dir = join(t.home, 'out');
    (await import('node:fs')).mkdirSync(dir);
    const target = join(dir, 'plain.bin');
    const child = spawn(process.execPath, [BIN, ...as, 'decrypt', sealed, '-o', target], {
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const done = new Promise<void>((r) => child.on('close', () => r()));
    // Kill once the temporary file holds some plaintext.
    for (;;) {
      const tmp = ours(dir)[0];
      if (tmp && statSync(join(dir, tmp)).size > 0) break;
      if (child.exitCode !== null) throw new Error('decrypt finished before it could be killed');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await done;
    const left = ours(dir);
    expect(left).toHaveLength(1);
    expect(statSync(join(dir, left[0]!)).mode & 0o777).toBe(0o600);
    // Look-alikes that are not ours to remove: another name, another mode.
    const other = join(dir, '.notes.txt.0123456789ab.tmp');
    writeFileSync(other, 'x', { mode: 0o600 });
    const shared = join(dir, '.plain.bin.abcdefabcdef.tmp');
    writeFileSync(shared, 'y');
    chmodSync(shared, 0o644);
    const past = new Date(Date.now() - 60_000);
    for (const f of [other, shared]) utimesSync(f, past, past);
    const r = await emr([...as, 'decrypt', sealed, '-o', target, '--json'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(target).equals(readFileSync(big))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['.notes.txt.0123456789ab.tmp', '.plain.bin.abcdefabcdef.tmp', 'plain.bin']);
  }, 240_000);
});
