// Issue 10 point 9: hints that do not mislead, and exit codes that say what happened.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

describe('misleading hints and exit codes', () => {
  it('a missing input file is NOT_FOUND (exit 7) for encrypt, decrypt, record add and batch add', async () => {
    const t = tempHome();
    const pw = t.pw('a');
    expect((await emr(['--home', t.home, '--json', 'keygen', '--name', 'a', '--password-file', pw])).code).toBe(0);
    const gone = join(t.home, 'no-such-file.txt');
    for (const args of [
      ['encrypt', gone, '--to', 'a'],
      ['decrypt', gone, '-o', join(t.home, 'out.txt')],
      ['record', 'add', gone, '--patient', 'a'],
      ['batch', 'add', gone],
    ]) {
      const r = await emr(['--home', t.home, '--profile', 'a', '--password-file', pw, '--json', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(7);
      expect(r.json?.error?.code).toBe('NOT_FOUND');
    }
  });

  it('an unreachable --rpc-url is UNAVAILABLE (exit 6) even without --contract, and the hint does not say "pass --rpc-url"', async () => {
    const t = tempHome();
    const dead = 'http://127.0.0.1:9'; // discard port: nothing answers JSON-RPC there
    for (const extra of [[], ['--contract', '0x' + '11'.repeat(20)]]) {
      const r = await emr(['--home', t.home, '--rpc-url', dead, ...extra, '--json', 'record', 'list', '--patient', '0x' + '22'.repeat(20)]);
      expect(r.code, r.stdout).toBe(6);
      expect(r.json?.error?.hint).not.toMatch(/pass --rpc-url/);
      expect(r.json?.error?.hint).toContain(dead);
    }
  });

  it('keygen for an admin does not suggest `emr register`; for a provider it says to get verified', async () => {
    const t = tempHome();
    const admin = await emr(['--home', t.home, 'keygen', '--name', 'boss', '--role', 'admin', '--password-file', t.pw('boss')]);
    expect(admin.code).toBe(0);
    expect(admin.stdout).not.toMatch(/emr register/);
    expect(admin.stdout).toMatch(/devnet up|admin add/);
    const prov = await emr(['--home', t.home, 'keygen', '--name', 'doc', '--role', 'provider', '--password-file', t.pw('doc')]);
    expect(prov.stdout).toMatch(/register[\s\S]*verif/);
  });

  it('`encrypt` and `record add` default to the same record type', async () => {
    const enc = (await emr(['encrypt', '--help'])).stdout;
    const add = (await emr(['record', 'add', '--help'])).stdout;
    // commander's `(default: "note")`, or the description's own "default note" where a
    // FHIR file infers the type instead (record add).
    const def = (h: string) => /--type <type>[\s\S]*?default:? "?(\w+)"?/.exec(h)?.[1];
    expect(def(enc)).toBeDefined();
    expect(def(enc)).toBe(def(add));
  });
});
