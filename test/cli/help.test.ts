// docs/CLI.md § Commands: `emr --help` groups the commands by role; each role is a prefix too.
import { describe, expect, it } from 'vitest';
import { emr } from '../helpers/cli.js';

function section(help: string, heading: string): string {
  const start = help.indexOf(`\n${heading}:\n`);
  expect(start, `no ${heading} section`).toBeGreaterThan(-1);
  const rest = help.slice(start + heading.length + 3);
  const end = rest.search(/\n\n/);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('emr --help', () => {
  it('lists each role’s commands under its heading, exits 0, and writes to stdout only', async () => {
    const r = await emr(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = (h: string) => section(r.stdout, h).split('\n').filter((l) => /^  \S/.test(l)).map((l) => l.trim().split(/\s{2,}/)[0]);
    expect(lines('Everyone')).toEqual(expect.arrayContaining(['keygen', 'key list', 'encrypt <file>', 'decrypt <file>', 'fetch <recordId>', 'verify <recordIdOrFile>', 'audit', 'whois <who>', 'demo']));
    expect(lines('Patient')).toEqual(expect.arrayContaining(['register', 'grant <provider>', 'revoke <provider>', 'access list', 'access approve <requestId>', 'access deny <requestId>']));
    expect(lines('Provider')).toEqual(expect.arrayContaining(['record add <file...>', 'record list', 'access request <patient>', 'emergency open <patient>']));
    expect(lines('Admin')).toEqual(expect.arrayContaining(['admin deploy', 'admin verify <provider>', 'admin suspend <provider>', 'devnet up', 'devnet down', 'devnet status']));
    expect(lines('Batch jobs')).toEqual(['batch add <manifest>']);
  });

  it('role prefixes reach the same commands', async () => {
    for (const [args, want] of [
      [['patient', '--help'], /grant/],
      [['provider', 'record', 'add', '--help'], /--patient <who>/],
      [['admin', '--help'], /verify/],
      [['patient', 'access', '--help'], /approve/],
    ] as const) {
      const r = await emr([...args]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(want);
    }
  });

  it('an unknown command is a usage error (exit 2), as one JSON document with --json', async () => {
    const r = await emr(['--json', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('no command (issue 10 point 6)', () => {
  it('`emr --json` alone prints one JSON usage error on stdout and exits 2', async () => {
    const r = await emr(['--json']);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'USAGE' } });
  });

  it('a bare group (`emr key`) shows its help on stderr and is a usage error (exit 2)', async () => {
    const r = await emr(['key']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/list/);
    expect(r.stdout).toBe('');
  });
});
