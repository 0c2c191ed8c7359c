// Issue 22 point 7: the hint after a refused passphrase fits where the passphrase came from —
// typed at the prompt (no word of --password-file), a file (names that file), EMR_PASSWORD.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';
import { emrDriven } from '../helpers/pty.js';

describe('a wrong passphrase: the hint fits its source', () => {
  const t = tempHome();
  beforeAll(async () => {
    const r = await emr(['--home', t.home, '--password-file', t.pw('p'), 'keygen', '--name', 'p', '--json']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => rmSync(t.home, { recursive: true, force: true }));
  const exportArgs = (out: string) => ['--home', t.home, 'key', 'export', 'p', '--format', 'age-identity', '-o', join(t.home, out)];

  it('typed at the prompt three times: no --password-file in the hint, the recovery phrase named', async () => {
    const run = await emrDriven(
      exportArgs('typed.key'),
      [
        [/Passphrase to unlock/, 'wrong-one-1\r'],
        [/2 tries left[\s\S]*Passphrase to unlock/, 'wrong-one-2\r'],
        [/1 try left[\s\S]*Passphrase to unlock/, 'wrong-one-3\r'],
      ],
      { timeoutMs: 90_000 },
    );
    expect(run.code, run.output).toBe(5);
    const hint = /hint: ([^\r\n]*)/.exec(run.output)?.[1] ?? '';
    expect(hint).not.toMatch(/password-file|EMR_PASSWORD/);
    expect(hint).toMatch(/typed/);
    expect(hint).toContain('emr key import --mnemonic');
  }, 120_000);

  it('from --password-file: the hint names the file; from EMR_PASSWORD: the variable', async () => {
    const file = t.pw('wrong', 'not-the-passphrase-9');
    const fromFile = await emr([...exportArgs('file.key'), '--password-file', file, '--json']);
    expect(fromFile.code).toBe(5);
    expect(fromFile.json!.error!.hint).toContain(file);
    expect(fromFile.json!.error!.hint).toContain('--password-file');
    const fromEnv = await emr([...exportArgs('env.key'), '--json'], { env: { EMR_PASSWORD: 'not-the-passphrase-9' } });
    expect(fromEnv.code).toBe(5);
    expect(fromEnv.json!.error!.hint).toContain('EMR_PASSWORD');
    expect(fromEnv.json!.error!.hint).not.toContain('--password-file');
  });
});
