// Issue 22 point 8: `emr config get | set | show`, through the built binary. Keys and values
// are checked before anything is written; URLs are printed as every URL emr prints (scheme,
// host, port), never with the credentials a provider puts in them.

import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

const t = tempHome();
const cfg = () => join(t.home, 'config.json');
const run = (...args: string[]) => emr(['--home', t.home, '--json', 'config', ...args]);
const SECRET_URL = 'https://user:s3cret-pw@rpc.example.org:8545/v3/API-KEY-123?token=abc';

beforeAll(async () => {
  expect((await emr(['--home', t.home, '--json', 'keygen', '--name', 'alice', '--password-file', t.pw('alice')])).code).toBe(0);
  expect((await emr(['--home', t.home, '--json', 'keygen', '--name', 'bob', '--password-file', t.pw('bob')])).code).toBe(0);
});
afterAll(() => rmSync(t.home, { recursive: true, force: true }));

describe('emr config get / set / show', () => {
  it('an unknown key is exit 2 with a did-you-mean; nothing written', async () => {
    const before = readFileSync(cfg(), 'utf8');
    for (const r of [await run('set', 'rcpUrl', 'http://127.0.0.1:8545'), await run('get', 'rcpUrl')]) {
      expect(r.code).toBe(2);
      expect(r.json?.error?.code).toBe('USAGE');
      expect(r.json?.error?.hint).toMatch(/did you mean `rpcUrl`/);
    }
    expect(readFileSync(cfg(), 'utf8')).toBe(before);
  });

  it('bad values are exit 2 naming the rule (an unknown profile exit 7); nothing written', async () => {
    const before = readFileSync(cfg(), 'utf8');
    for (const [k, v] of [
      ['rpcUrl', 'not a url'],
      ['rpcUrl', 'file:///etc/passwd'],
      ['contract', '0x1234'],
      ['replicas', '0'],
      ['chainId', 'twelve'],
      ['ipfsGateways', 'https://a.example,ftp://b.example'],
    ]) {
      const r = await run('set', k!, v!);
      expect(r.code, `${k}=${v}`).toBe(2);
      expect(r.json?.error?.message).toMatch(new RegExp(k!));
    }
    expect((await run('set', 'defaultProfile', 'bbo')).code).toBe(7);
    expect(readFileSync(cfg(), 'utf8')).toBe(before);
  });

  it('set then get: typed values, saved 0600; kebab-case names work too', async () => {
    expect((await run('set', 'replicas', '2')).json?.data).toMatchObject({ key: 'replicas', value: 2 });
    expect((await run('get', 'replicas')).json?.data).toEqual({ key: 'replicas', value: 2 });
    expect((await run('set', 'ipfs-gateways', 'https://a.example, https://b.example/x')).code).toBe(0);
    expect((await run('get', 'ipfsGateways')).json?.data.value).toEqual(['https://a.example', 'https://b.example/…']);
    expect(JSON.parse(readFileSync(cfg(), 'utf8')).ipfsGateways).toEqual(['https://a.example', 'https://b.example/x']);
    expect((await run('set', 'defaultProfile', 'bob')).code).toBe(0);
    expect((await emr(['--home', t.home, '--json', 'key', 'list'])).json!.data.profiles.find((p: any) => p.default).name).toBe('bob');
    expect(statSync(cfg()).mode & 0o777).toBe(0o600);
    // An empty value removes the setting.
    expect((await run('set', 'replicas', '')).code).toBe(0);
    expect((await run('get', 'replicas')).json?.data).toEqual({ key: 'replicas', value: null });
  });

  it('credentials in a URL are kept in the file but never printed by get, set or show (text or --json)', async () => {
    const set = await run('set', 'rpcUrl', SECRET_URL);
    expect(set.code).toBe(0);
    expect(JSON.parse(readFileSync(cfg(), 'utf8')).rpcUrl).toBe(SECRET_URL);
    const outs = [
      set,
      await run('get', 'rpcUrl'),
      await run('show'),
      await emr(['--home', t.home, 'config', 'show']),
      await emr(['--home', t.home, 'config', 'get', 'rpcUrl']),
    ];
    for (const r of outs) {
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/s3cret|API-KEY|token|user/);
      expect(r.stdout).toContain('https://rpc.example.org:8545/…');
    }
    const show = outs[2]!.json!.data;
    expect(show.config).toBe(cfg());
    expect(Object.keys(show.settings)).toEqual(
      expect.arrayContaining(['rpcUrl', 'contract', 'ipfsApi', 'ipfsGateways', 'replicas', 'defaultProfile']),
    );
  });
});
