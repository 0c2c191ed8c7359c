// docs/CLI.md § Global behaviour: a mistyped command, option or profile name gets a "did you
// mean", on one line each (issue 22 point 1: `record lst` printed a literal `\n`, and
// `--revoke` or `drmerdith` got no suggestion).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

describe('did you mean', () => {
  const t = tempHome();
  let pw = '';
  beforeAll(async () => {
    pw = t.pw('drmeredith');
    const r = await emr(['--home', t.home, '--password-file', pw, 'keygen', '--name', 'drmeredith', '--weak-passphrase-ok', '--json']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => rmSync(t.home, { recursive: true, force: true }));

  it('a mistyped subcommand: one message line, the suggestion in the hint, text and JSON', async () => {
    const text = await emr(['--home', t.home, 'record', 'lst']);
    expect(text.code).toBe(2);
    expect(text.stderr).not.toContain('\\n');
    expect(text.stderr).toMatch(/^error: unknown command 'lst'\n/);
    expect(text.stderr).toContain('did you mean `emr record list`?');
    const json = await emr(['--home', t.home, 'record', 'lst', '--json']);
    expect(json.code).toBe(2);
    expect(json.json!.error!.message).toBe("unknown command 'lst'");
    expect(json.json!.error!.hint).toContain('`emr record list`');
  });

  it('a mistyped option names the close one', async () => {
    const r = await emr(['--home', t.home, 'revoke', 'drmeredith', '--revoke', '--json']);
    expect(r.code).toBe(2);
    expect(r.json!.error!.message).toBe("unknown option '--revoke'");
    expect(r.json!.error!.hint).toContain('did you mean `--rekey`?');
    expect(r.json!.error!.hint).toContain('`emr revoke --help`');
  });

  it('a misspelt profile name (--profile, a recipient) names the close profile', async () => {
    const f = join(t.home, 'note.txt');
    writeFileSync(f, 'hello\n');
    const asProfile = await emr(['--home', t.home, '--profile', 'drmerdith', '--password-file', pw, 'encrypt', f, '--self', '--json']);
    expect(asProfile.code).toBe(7);
    expect(asProfile.json!.error!.hint).toContain('did you mean `drmeredith`?');
    const asRecipient = await emr(['--home', t.home, '--password-file', pw, 'encrypt', f, '--to', 'drmerdith', '--json']);
    expect(asRecipient.code).toBe(7);
    expect(asRecipient.json!.error!.hint).toContain('did you mean `drmeredith`?');
    const far = await emr(['--home', t.home, '--password-file', pw, 'encrypt', f, '--to', 'zzzzzzzz', '--json']);
    expect(far.code).toBe(7);
    expect(far.json!.error!.hint).not.toContain('did you mean');
  });
});
