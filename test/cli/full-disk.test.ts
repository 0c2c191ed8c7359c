// A full disk while writing an output file (issue 8 point 18): no partial file stays (not
// even a temporary one), the error is "no space" (UNAVAILABLE, exit 6) with a hint — not
// "a bug in emr" — and the same command succeeds once there is room. A real full
// filesystem: a 64 KiB tmpfs (needs root to mount; skipped, visibly, where it cannot be).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';
import { tinyTmpfs } from '../helpers/tmpfs.js';

const t = tempHome();
const { dir: full, mounted } = tinyTmpfs('64k');
const as = ['--home', t.home, '--profile', 'x', '--password-file', t.pw('x')];
const big = join(t.home, 'big.txt');

beforeAll(async () => {
  const k = await emr([...as, 'keygen', '--name', 'x', '--role', 'patient', '--json']);
  expect(k.code, k.stderr).toBe(0);
  writeFileSync(big, randomBytes(150_000).toString('base64'));
}, 60_000);

describe.skipIf(!mounted)('full disk while writing an output file', () => {
  it('encrypt -o onto a full filesystem: exit 6 with a hint, nothing left there; then it works where there is room', async () => {
    const r = await emr([...as, 'encrypt', big, '--self', '-o', join(full, 'big.age')]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/no space left/);
    expect(r.stderr).not.toMatch(/bug/);
    expect(readdirSync(full)).toEqual([]);
    const ok = await emr([...as, 'encrypt', big, '--self', '-o', join(t.home, 'big.age'), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);

  it('decrypt -o onto a full filesystem: no partial plaintext, exit 6 --json error UNAVAILABLE', async () => {
    const r = await emr([...as, 'decrypt', join(t.home, 'big.age'), '-o', join(full, 'plain.txt'), '--json']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(readdirSync(full)).toEqual([]);
    const out = join(t.home, 'out');
    mkdirSync(out);
    const ok = await emr([...as, 'decrypt', join(t.home, 'big.age'), '-o', join(out, 'plain.txt'), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(out, 'plain.txt'), 'utf8')).toBe(readFileSync(big, 'utf8'));
  }, 60_000);
});
