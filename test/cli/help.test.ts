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
    const lines = (h: string) =>
      section(r.stdout, h)
        .split('\n')
        .filter((l) => /^ {2}\S/.test(l))
        .map((l) => l.trim().split(/\s{2,}/)[0]);
    expect(lines('Everyone')).toEqual(
      expect.arrayContaining([
        'keygen',
        'key list',
        'encrypt <file>',
        'decrypt <file>',
        'fetch <recordId>',
        'verify <recordIdOrFile>',
        'audit',
        'whois <who>',
        'demo',
        'org admin add <org> <account>',
        'org admin remove <org> <account>',
      ]),
    );
    expect(lines('Patient')).toEqual(
      expect.arrayContaining([
        'register',
        'grant [provider]',
        'revoke [provider]',
        'access list',
        'access approve <requestId>',
        'access deny <requestId>',
      ]),
    );
    expect(lines('Provider')).toEqual(
      expect.arrayContaining(['record add <file...>', 'record list', 'access request <patient>', 'emergency open <patient>']),
    );
    expect(lines('Admin')).toEqual(
      expect.arrayContaining([
        'admin deploy',
        'admin verify <provider>',
        'admin suspend <provider>',
        'devnet up',
        'devnet down',
        'devnet status',
      ]),
    );
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

describe('help that teaches (issue 10 point 8)', () => {
  it('every command’s --help shows an example and the global options it honours', async () => {
    const { join } = await import('node:path');
    const { ROOT } = await import('../helpers/cli.js');
    type N = { kind: string; name: string; children?: N[] };
    const { roles } = (await import(join(ROOT, 'dist/commands/index.js'))) as { roles: Array<{ children: N[] }> };
    const paths = new Set<string>();
    const walk = (ns: N[], pre: string[]) =>
      ns.forEach((n) => (n.kind === 'group' ? walk(n.children ?? [], [...pre, n.name]) : paths.add([...pre, n.name].join(' '))));
    for (const r of roles) walk(r.children, []);
    const all = [...paths];
    const missing: string[] = [];
    for (let i = 0; i < all.length; i += 4) {
      await Promise.all(
        all.slice(i, i + 4).map(async (p) => {
          const r = await emr([...p.split(' '), '--help']);
          if (r.code !== 0) missing.push(`${p}: exit ${r.code}`);
          if (!/\nExamples:\n {2}\$ emr /.test(r.stdout)) missing.push(`${p}: no example`);
          const globals = r.stdout.slice(r.stdout.indexOf('Global Options:'));
          if (
            !r.stdout.includes('Global Options:') ||
            !['--json', '--profile', '--password-file', '--rpc-url', '--home'].every((g) => globals.includes(g))
          )
            missing.push(`${p}: global options not shown`);
        }),
      );
    }
    expect(missing).toEqual([]);
  }, 180_000);

  it('a mistyped command gets "did you mean" (exit 2), in --json too', async () => {
    const r = await emr(['keygne']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'keygne'[\s\S]*did you mean `emr keygen`/);
    const j = await emr(['--json', 'revokee', 'bob']);
    expect(j.code).toBe(2);
    expect(j.json?.error?.hint).toMatch(/did you mean `emr revoke`/);
  });

  it('the value of every global option is not taken for a command (--ipfs-gateway, --replicas, …)', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const home = mkdtempSync(join(tmpdir(), 'emr-help-'));
    const r = await emr([
      '--home',
      home,
      '--ipfs-gateway',
      'http://127.0.0.1:9',
      '--replicas',
      '1',
      '--ipfs-api',
      'http://127.0.0.1:9',
      '--json',
      'key',
      'list',
    ]);
    expect(r.stdout).not.toMatch(/unknown command/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('`emr pharmacist --help` (an unknown role) is a usage error, not the root help', async () => {
    const r = await emr(['pharmacist', '--help']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown command 'pharmacist'/);
    // Global options before the command are skipped when finding it.
    const g = await emr(['--home', '/nonexistent-emr-home', '--profile', 'x', 'pharmacist', '--help']);
    expect(g.code).toBe(2);
  });

  it('`emr patient --help` lists what a patient runs in the README: record list and audit too', async () => {
    const r = await emr(['patient', '--help']);
    expect(r.code).toBe(0);
    for (const c of ['register', 'grant', 'revoke', 'access', 'record', 'audit', 'fetch'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${c} `));
    const rl = await emr(['patient', 'record', '--help']);
    expect(rl.stdout).toMatch(/\n {2}list /);
  });

  it('help wraps at the terminal width (60 columns under a pseudo-terminal)', async () => {
    const { emrInPty } = await import('../helpers/pty.js');
    for (const args of [['--help'], ['patient', '--help'], ['record', 'add', '--help']]) {
      const r = await emrInPty(args, { cols: 60, timeoutMs: 30_000 });
      expect(r.code, r.output).toBe(0);
      // Example command lines are kept whole, to be copied as they are.
      const long = r.output.split(/\r?\n/).filter((l) => [...l].length > 60 && !l.startsWith('  $ emr '));
      expect(long, args.join(' ')).toEqual([]);
    }
  }, 120_000);
});
