/**
 * `emr encrypt` to a file with a passphrase from a file or the environment unlocks the
 * keystore while it encrypts (session/local.ts `unlockingIdentity`): the key is needed only
 * for the trailer's signature. What that must not change: a wrong passphrase is still exit 5
 * with no output and no temporary file left; a profile whose keystore holds another key
 * (its file edited, or restored from another backup) never signs, even though the header was
 * already written to the profile's recipient; and what is written is the bundle the
 * unlocked path writes, signed by the profile.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, emr, tempHome } from '../helpers/cli.js';

const t = tempHome();
const good = t.pw('x', 'a sturdy passphrase for x 42');
const wrong = t.pw('wrong', 'not the passphrase of x');
const as = (pw: string) => ['--home', t.home, '--profile', 'x', '--password-file', pw];
const dir = join(t.home, 'files');
const small = join(dir, 'note.txt');
const large = join(dir, 'scan.bin');

beforeAll(async () => {
  (await import('node:fs')).mkdirSync(dir);
  writeFileSync(small, 'blood pressure 120/80\n');
  writeFileSync(large, randomBytes(24 * 1024 * 1024)); // the two-thread path (crypto/bundle-parallel.ts)
  for (const [name, pw] of [
    ['x', good],
    ['y', t.pw('y')],
  ] as const) {
    const r = await emr(['--home', t.home, '--profile', name, '--password-file', pw, 'keygen', '--name', name, '--json']);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

describe('encrypt unlocks while it encrypts', () => {
  it('a wrong passphrase is exit 5 and leaves no output and no temporary file, small or large', async () => {
    for (const f of [small, large]) {
      const out = `${f}.age`;
      const r = await emr([...as(wrong), '--json', 'encrypt', f, '--self', '-o', out]);
      expect(r.code, r.stderr).toBe(5);
      expect(r.json!.error!.code).toBe('BAD_PASSPHRASE');
      expect(readdirSync(dir).sort()).toEqual(['note.txt', 'scan.bin']);
    }
  });

  it('a profile whose keystore holds another key never signs: exit 4, no output', async () => {
    const profile = join(t.home, 'profiles', 'x.json');
    const saved = readFileSync(profile, 'utf8');
    const y = JSON.parse(readFileSync(join(t.home, 'profiles', 'y.json'), 'utf8')) as { recipient: string };
    try {
      // The profile now names y's recipient: --self would encrypt to y, whose key is not x's.
      writeFileSync(profile, JSON.stringify({ ...JSON.parse(saved), recipient: y.recipient }, null, 2));
      const r = await emr([...as(good), '--json', 'encrypt', small, '--self', '-o', `${small}.age`]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.json!.error!.code).toBe('INTEGRITY');
      expect(readdirSync(dir).sort()).toEqual(['note.txt', 'scan.bin']);
    } finally {
      writeFileSync(profile, saved);
    }
  });

  it('the right passphrase gives a bundle that decrypts, signed by the profile', async () => {
    for (const f of [small, large]) {
      const out = `${f}.age`;
      const e = await emr([...as(good), '--json', 'encrypt', f, '--self', '-o', out]);
      expect(e.code, e.stderr).toBe(0);
      const back = `${f}.back`;
      const d = await emr([...as(good), '--json', 'decrypt', out, '-o', back]);
      expect(d.code, d.stderr).toBe(0);
      expect(readFileSync(back).equals(readFileSync(f))).toBe(true);
      // decrypt recovered the signer from the signature and found it is the author.
      const { address } = JSON.parse(readFileSync(join(t.home, 'profiles', 'x.json'), 'utf8')) as { address: string };
      expect(d.json!.data.author).toBe(address);
      expect(e.json!.data.author).toBe(address);
    }
  }, 60_000);

  it('without a TTY and without a passphrase source it fails at once with exit 2, before reading its input (docs/CLI.md § Global behaviour)', async () => {
    // stdin stays open: a command that read it before asking for the key would never end.
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
    delete env.EMR_PASSWORD;
    delete env.EMR_PASSWORD_FILE;
    const child = spawn(
      process.execPath,
      [BIN, '--home', t.home, '--profile', 'x', '--json', 'encrypt', '-', '--self', '-o', join(dir, 'piped.age')],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env,
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(timer);
    child.stdin.destroy();
    expect(code).toBe(2);
    const { error } = JSON.parse(out);
    expect(`${error.message} ${error.hint}`).toMatch(/password-file/);
    expect(readdirSync(dir).filter((n) => n.includes('piped'))).toEqual([]);
  }, 60_000);
});
