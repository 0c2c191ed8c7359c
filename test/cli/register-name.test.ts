// Issue 22 point 10: `register --name` was accepted and ignored (a warning after the
// transaction). It is refused at once, exit 2, with a hint, before any chain is contacted;
// it is not in `register --help`.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

describe('register --name', () => {
  const t = tempHome();
  afterAll(() => rmSync(t.home, { recursive: true, force: true }));

  it('is refused (exit 2) with a hint before anything is sent, and hidden from help', async () => {
    const pw = t.pw('dr');
    expect((await emr(['--home', t.home, '--password-file', pw, 'keygen', '--name', 'dr', '--role', 'provider', '--json'])).code).toBe(0);
    // No devnet runs in this home: reaching the chain would be exit 6, not 2.
    const r = await emr(['--home', t.home, '--password-file', pw, 'register', '--name', 'Dr Grey', '--json']);
    expect(r.code).toBe(2);
    expect(r.json!.error!.message).toMatch(/--name is not supported: no display name is published/);
    expect(r.json!.error!.hint).toMatch(/drop --name/);
    const help = await emr(['register', '--help']);
    expect(help.stdout).not.toContain('--name');
  });
});
