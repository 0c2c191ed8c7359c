/**
 * README § Build and layout, checked: command files follow one naming scheme, the help
 * tree's. A command listed in `emr --help` under a role's section lives in that role's
 * directory, named by its path in the tree: `emr key list` (Everyone) is
 * src/commands/everyone/key-list.ts, `emr admin verify` (Admin) src/commands/admin/admin-verify.ts,
 * `emr grant` src/commands/patient/grant.ts and its subcommand `emr grant list`
 * src/commands/patient/grant-list.ts. A role directory's index.ts only assembles; modules
 * that are not commands (views, option parsers) sit beside the command that uses them or
 * directly in src/commands/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const commands = join(root, 'src', 'commands');

type Spec = { kind: 'command'; name: string; subcommands?: Spec[] };
type Node = Spec | { kind: 'group'; name: string; children: Node[] };
type Role = { name: string; heading: string; children: Node[] };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const rel = (f: string) => relative(commands, f).split('\\').join('/');
const isSpec = (v: unknown): v is Spec => typeof v === 'object' && v !== null && (v as Spec).kind === 'command';

/** Every command spec a module under src/commands exports, with the file that exports it. */
async function exportedSpecs(): Promise<Map<Spec, string[]>> {
  const out = new Map<Spec, string[]>();
  for (const f of files(commands)) {
    const mod = (await import(pathToFileURL(f).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isSpec(v)) out.set(v, [...(out.get(v) ?? []), rel(f)]);
  }
  return out;
}

/** Each command of a role's section with the file the scheme names for it. */
function expected(role: Role): Array<{ spec: Spec; path: string; file: string }> {
  const out: Array<{ spec: Spec; path: string; file: string }> = [];
  const visit = (n: Node, pre: string[]) => {
    const path = [...pre, n.name];
    if (n.kind === 'group') return n.children.forEach((c) => visit(c, path));
    out.push({ spec: n, path: path.join(' '), file: `${role.name}/${path.join('-')}.ts` });
    for (const s of n.subcommands ?? []) visit(s, path);
  };
  for (const n of role.children) visit(n, []);
  return out;
}

describe('command files: one naming scheme, the help tree’s', async () => {
  const { roles } = (await import(pathToFileURL(join(commands, 'index.ts')).href)) as { roles: Role[] };
  const specs = await exportedSpecs();

  it('MUST: every command of a help section is exported by <role>/<its path, dash-joined>.ts', () => {
    const wrong = roles.flatMap((r) =>
      expected(r)
        .filter(({ spec, file }) => !(specs.get(spec) ?? []).includes(file))
        .map(
          ({ path, file, spec }) =>
            `${r.heading}: \`${path}\` should be ${file}, is in ${(specs.get(spec) ?? ['(not exported)']).join(', ')}`,
        ),
    );
    expect(wrong).toEqual([]);
  });

  it('MUST: no command file outside the scheme (every module exporting a command is one the help tree names)', () => {
    const named = new Set(roles.flatMap((r) => expected(r).map((e) => e.file)));
    const stray = [...specs.values()].flat().filter((f) => !named.has(f));
    expect(stray).toEqual([]);
  });

  it('MUST: src/commands has one directory per help section, and nothing else', () => {
    const dirs = readdirSync(commands).filter((n) => statSync(join(commands, n)).isDirectory());
    expect(dirs.sort()).toEqual(roles.map((r) => r.name).sort());
  });

  it('MUST: a role’s index.ts only assembles, from its own directory', () => {
    const bad = roles.flatMap((r) => {
      const text = readFileSync(join(commands, r.name, 'index.ts'), 'utf8');
      const froms = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      return [
        ...froms.filter((p) => !p.startsWith('./') && p !== '../spec.js').map((p) => `${r.name}/index.ts imports ${p}`),
        ...(/defineCommand\(|\brun\b/.test(text) ? [`${r.name}/index.ts defines a command`] : []),
      ];
    });
    expect(bad).toEqual([]);
  });
});
