// docs/CLI.md is the project's CLI reference; this test keeps it in step with the command
// tree so it cannot drift: every command has a `### \`emr …\`` section naming each of its
// options, every global option is in § Global behaviour, and the doc names no command the
// program lacks. A failure lists exactly what to add or remove.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

interface Leaf {
  path: string;
  options: string[];
}

type AnyNode = {
  kind: 'command' | 'group';
  name: string;
  options?: Array<{ flags: string }>;
  children?: AnyNode[];
  subcommands?: AnyNode[];
};

function leaves(nodes: AnyNode[], prefix: string[]): Leaf[] {
  return nodes.flatMap((n) =>
    n.kind === 'group'
      ? leaves(n.children ?? [], [...prefix, n.name])
      : // A command's own subcommands (`grant list` beside `grant <provider>`) are commands too.
        [
          { path: [...prefix, n.name].join(' '), options: (n.options ?? []).map((o) => longFlag(o.flags)) },
          ...leaves(n.subcommands ?? [], [...prefix, n.name]),
        ],
  );
}

/** `-o, --output <file>` → `--output`; `--no-receipt` stays as written. */
function longFlag(flags: string): string {
  return flags.split(/[ ,|]+/).find((f) => f.startsWith('--')) ?? flags.split(/[ ,]+/)[0]!;
}

async function commandTree(): Promise<{ commands: Leaf[]; globals: string[] }> {
  const { roles } = (await import(join(ROOT, 'dist/commands/index.js'))) as { roles: Array<{ children: AnyNode[] }> };
  const { buildProgram } = (await import(join(ROOT, 'dist/cli.js'))) as {
    buildProgram: (f: unknown) => { options: Array<{ long?: string }> };
  };
  const seen = new Map<string, Leaf>();
  for (const role of roles) for (const l of leaves(role.children, [])) seen.set(l.path, l);
  const globals = buildProgram(async () => {})
    .options.map((o) => o.long!)
    .filter(Boolean);
  return { commands: [...seen.values()], globals };
}

function docSections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^### `emr ([^`]+)`\s*$/gm;
  const heads = [...doc.matchAll(re)];
  heads.forEach((m, i) => {
    const end = heads[i + 1]?.index ?? doc.length;
    const body = doc.slice(m.index! + m[0].length, end);
    out.set(m[1]!.trim(), body.split(/^## /m)[0]!);
  });
  return out;
}

describe('docs/CLI.md against the command tree', () => {
  it('documents every command and option, and no command that does not exist', async () => {
    const doc = readFileSync(join(ROOT, 'docs/CLI.md'), 'utf8');
    const sections = docSections(doc);
    const { commands, globals } = await commandTree();
    const problems: string[] = [];
    for (const c of commands) {
      const body = sections.get(c.path);
      if (body === undefined) {
        problems.push(`missing section: ### \`emr ${c.path}\` (options: ${c.options.join(' ') || 'none'})`);
        continue;
      }
      for (const o of c.options)
        if (!body.includes(`\`${o}`) && !body.includes(`${o} `) && !body.includes(`${o}\``))
          problems.push(`emr ${c.path}: option ${o} not documented`);
    }
    const known = new Set(commands.map((c) => c.path));
    for (const path of sections.keys()) if (!known.has(path)) problems.push(`documented but no such command: emr ${path}`);
    const global = doc.slice(doc.indexOf('## Global behaviour'), doc.indexOf('## Exit codes'));
    for (const g of globals) if (!global.includes(`\`${g}`)) problems.push(`global option ${g} not in § Global behaviour`);
    expect(problems, '\n' + problems.join('\n') + '\n').toEqual([]);
  });

  it('documents every exit code with its error code, as the program maps them', async () => {
    const doc = readFileSync(join(ROOT, 'docs/CLI.md'), 'utf8');
    const { EXIT_CODES } = (await import(join(ROOT, 'dist/errors.js'))) as { EXIT_CODES: Record<string, number> };
    const missing = Object.entries(EXIT_CODES)
      .filter(([code, n]) => !doc.includes(`| ${n} | \`${code}\` |`))
      .map(([code, n]) => `| ${n} | \`${code}\` |`);
    expect(missing, `rows missing from docs/CLI.md § Exit codes: ${missing.join(', ')}`).toEqual([]);
  });
});
