// Issue 22 point 5: a group's help (`emr patient --help`, `emr provider --help`, `emr record
// --help`) lists every command under it first, nested ones included, and points to
// `emr --help` for the global options instead of printing twenty lines of them first.
import { describe, expect, it } from 'vitest';
import { emr } from '../helpers/cli.js';

describe('group help', () => {
  it('commands first, every nested command listed, then one line for the global options', async () => {
    for (const group of ['patient', 'provider', 'admin', 'record', 'key']) {
      const r = await emr([group, '--help']);
      expect(r.code, group).toBe(0);
      const commands = r.stdout.indexOf('\nCommands:\n');
      expect(commands, group).toBeGreaterThan(-1);
      expect(r.stdout.slice(0, commands), group).not.toMatch(/--rpc-url|--password-file|Global Options/);
      expect(r.stdout.slice(commands).replace(/\s+/g, ' '), group).toContain('see `emr --help`');
    }
    const provider = (await emr(['provider', '--help'])).stdout;
    const terms = provider
      .split('\n')
      .filter((l) => /^ {2}\S/.test(l))
      .map((l) => l.trim().split(/\s{2,}/)[0]);
    expect(terms).toEqual(
      expect.arrayContaining(['record add <file...>', 'record list', 'access request <patient>', 'emergency open <patient>']),
    );
    const patient = (await emr(['patient', '--help'])).stdout;
    // The provider is optional since `grant --org` (docs/CLI.md § Organisations).
    expect(patient).toMatch(/\n {2}grant \[provider\] /);
    expect(patient).toMatch(/\n {2}grant list /);
    expect(patient).toMatch(/\n {2}access approve <requestId> /);
  });

  it('`emr --help` names the reference by the path it is installed at (docs ship in the package)', async () => {
    const { existsSync } = await import('node:fs');
    const { isAbsolute } = await import('node:path');
    const r = await emr(['--help']);
    const path = /(\S+\/docs\/CLI\.md) has them all/.exec(r.stdout)?.[1];
    expect(path, r.stdout.slice(-400)).toBeDefined();
    expect(isAbsolute(path!)).toBe(true);
    expect(existsSync(path!)).toBe(true);
  });

  it('a bare group is still a usage error with the same help on stderr', async () => {
    const r = await emr(['record']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n {2}add <file\.\.\.> /);
  });
});
