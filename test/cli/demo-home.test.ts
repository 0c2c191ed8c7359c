// Issue 22 point 12: `emr demo` without --home makes a throw-away home (keystores with their
// passphrase files beside them); without --keep it is removed when the demo ends, so nothing
// of it is left in the temporary directory.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emr } from '../helpers/cli.js';

describe('emr demo in a throw-away home', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'emr-demo-tmp-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('without --keep the home is removed at the end, and the run says so', async () => {
    const r = await emr(['demo', '--json'], { env: { TMPDIR: tmp, EMR_HOME: undefined }, timeoutMs: 150_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json!.data.homeRemoved).toBe(true);
    expect(r.json!.data.home.startsWith(tmp)).toBe(true);
    expect(readdirSync(tmp).filter((f) => f.startsWith('emr-demo-'))).toEqual([]);
    expect(r.stderr).toMatch(/throw-away home .* is removed now/);
    expect(r.stderr).not.toContain('Explore further');
  }, 180_000);
});
