/**
 * Builds the commander program from the role specs (docs/CLI.md § Commands: grouped by role in
 * `emr --help`, each role also reachable as a prefix), runs one command, renders its
 * result through output.ts, and maps every error to its exit code in one place.
 * Returns the exit code; only bin/emr.js sets it on the process.
 */
import { Command, CommanderError, Option } from 'commander';
import { Context, type GlobalOptions, type Io } from './context.js';
import { EmrError, UsageError, exitCodeOf, toEmrError } from './errors.js';
import { humanError, jsonFailure, jsonSuccess, renderHuman, renderSideNotes } from './output.js';
import { resolveHome } from './config.js';
import type { CommandSpec, Node, RoleSpec } from './commands/spec.js';
import { roles } from './commands/index.js';

export interface RunOptions {
  io?: Io;
  env?: NodeJS.ProcessEnv;
}

/** A top-level tree where same-named groups of different roles are merged (`access`). */
type Merged = { kind: 'command'; spec: CommandSpec; heading?: string } | { kind: 'group'; name: string; summary: string; heading?: string; children: Map<string, Merged> };

function mergeInto(target: Map<string, Merged>, nodes: Node[], heading?: string): void {
  for (const n of nodes) {
    const existing = target.get(n.name);
    if (n.kind === 'command') {
      if (existing) throw new Error(`duplicate command ${n.name}`);
      target.set(n.name, { kind: 'command', spec: n, heading });
      continue;
    }
    let g = existing;
    if (!g) {
      g = { kind: 'group', name: n.name, summary: n.summary, heading, children: new Map() };
      target.set(n.name, g);
    } else if (g.kind !== 'group') {
      throw new Error(`command and group share the name ${n.name}`);
    }
    mergeInto(g.children, n.children);
  }
}

/** A role prefix lifts the children of its same-named group: `emr admin verify`, not `emr admin admin verify`. */
function roleChildren(role: RoleSpec): Node[] {
  const out: Node[] = [];
  for (const n of role.children) {
    if (n.kind === 'group' && n.name === role.name) out.push(...n.children);
    else out.push(n);
  }
  return out;
}

type Invoke = (spec: CommandSpec, cmd: Command, args: unknown[]) => Promise<void>;

function materialize(parent: Command, name: string, node: Merged, invoke: Invoke): void {
  if (node.kind === 'group') {
    const g = parent.command(name).description(node.summary);
    if (node.heading) g.helpGroup(node.heading);
    for (const [childName, child] of node.children) materialize(g, childName, child, invoke);
    return;
  }
  const spec = node.spec;
  const c = parent.command(name).description(spec.summary);
  if (node.heading) c.helpGroup(node.heading);
  for (const a of spec.aliases ?? []) c.alias(a);
  for (const a of spec.args ?? []) c.argument(a);
  for (const o of spec.options ?? []) {
    const opt = new Option(o.flags, o.description);
    if (o.choices) opt.choices(o.choices as string[]);
    if (o.repeatable) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    if (o.default !== undefined) opt.default(o.default);
    c.addOption(opt);
  }
  if (spec.examples?.length) c.addHelpText('after', '\nExamples:\n' + spec.examples.map((e) => `  $ ${e}`).join('\n'));
  c.action(async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    await invoke(spec, cmd, all.slice(0, -2));
  });
}

function globalOptions(program: Command): void {
  program
    .option('--home <dir>', 'where config, keystores, the embedded IPFS store and devnet state live (env EMR_HOME)')
    .option('--profile <name>', 'which local identity acts (env EMR_PROFILE)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--rpc-url <url>', 'EVM JSON-RPC endpoint (env EMR_RPC_URL, ETH_RPC_URL; default: the embedded devnet)')
    .option('--contract <address>', 'the access-control contract (env EMR_CONTRACT)')
    .option('--ipfs-api <url>', 'a Kubo RPC API, e.g. http://127.0.0.1:5001 (env EMR_IPFS_API; default: the embedded store)')
    .option('--password-file <file>', 'file holding the keystore passphrase (env EMR_PASSWORD_FILE, EMR_PASSWORD)')
    .option('-y, --yes', 'answer yes to confirmations');
}

export function buildProgram(invoke: Invoke): Command {
  const program = new Command('emr');
  program
    .description('Patient-controlled medical records: encrypted, signed, on IPFS, with access on chain.')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .helpCommand(false);
  globalOptions(program);

  const top = new Map<string, Merged>();
  for (const role of roles) mergeInto(top, role.children, `${role.heading}:`);
  // Role prefixes that are not already a top-level group get their own command.
  for (const role of roles) {
    const kids = roleChildren(role);
    const existing = top.get(role.name);
    if (existing?.kind === 'group') {
      // e.g. `admin`: the admin group plus the rest of the admin role (devnet).
      mergeInto(existing.children, kids.filter((k) => !existing.children.has(k.name)));
      existing.summary = role.summary;
    } else if (!existing) {
      const g: Merged = { kind: 'group', name: role.name, summary: role.summary, heading: 'Role prefixes (list one role\'s commands):', children: new Map() };
      mergeInto(g.children, kids);
      top.set(role.name, g);
    }
  }
  for (const [name, node] of top) materialize(program, name, node, invoke);
  // docs/CLI.md § Commands: "`emr --help` lists the commands grouped by role, so each person sees
  // their part first". Commander can list a command under one heading only, and `access` /
  // `emergency` belong to two roles, so the root help lists each role's leaf commands itself.
  program.configureHelp({ visibleCommands: (cmd) => (cmd === program ? [] : cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)) });
  program.addHelpText('after', () => rolesHelp());
  return program;
}

function leafLines(nodes: Node[], prefix: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const n of nodes) {
    if (n.kind === 'group') out.push(...leafLines(n.children, [...prefix, n.name]));
    else out.push([[...prefix, n.name, ...(n.args ?? [])].join(' '), n.summary]);
  }
  return out;
}

function rolesHelp(): string {
  const sections = roles.map((role) => ({ heading: role.heading, lines: leafLines(role.children, []) }));
  const width = Math.min(28, Math.max(...sections.flatMap((s) => s.lines.map(([u]) => u.length))) + 2);
  const wrap = (text: string, indent: number) => {
    const max = Math.max(30, 96 - indent);
    const words = text.split(' ');
    const rows: string[] = [];
    let row = '';
    for (const w of words) {
      if (row && row.length + 1 + w.length > max) {
        rows.push(row);
        row = w;
      } else row = row ? `${row} ${w}` : w;
    }
    if (row) rows.push(row);
    return rows.join('\n' + ' '.repeat(indent));
  };
  const body = sections
    .map((s) => `${s.heading}:\n` + s.lines.map(([u, d]) => (u.length + 2 > width ? `  ${u}\n${' '.repeat(width + 2)}${wrap(d, width + 2)}` : `  ${u.padEnd(width)}${wrap(d, width + 2)}`)).join('\n'))
    .join('\n\n');
  return `\n${body}\n\nEach role is also a prefix: \`emr patient --help\`, \`emr provider record add …\`, \`emr admin verify …\`.\nRun \`emr <command> --help\` for options. Exit codes: 0 ok, 1 bug, 2 usage, 3 access denied, 4 integrity,\n5 bad passphrase, 6 unavailable, 7 not found.`;
}

const VERSION = '0.1.0';

function readGlobals(cmd: Command, env: NodeJS.ProcessEnv): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, string | boolean | undefined>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    home: resolveHome(str(o.home), env),
    homeExplicit: !!str(o.home) || !!str(env.EMR_HOME),
    profile: str(o.profile),
    json: !!o.json,
    rpcUrl: str(o.rpcUrl) ?? str(env.EMR_RPC_URL) ?? str(env.ETH_RPC_URL),
    contract: str(o.contract) ?? str(env.EMR_CONTRACT),
    ipfsApi: str(o.ipfsApi) ?? str(env.EMR_IPFS_API),
    passwordFile: str(o.passwordFile),
    yes: !!o.yes,
  };
}

/** Runs `emr` with the given argv (without node and script). Resolves to the exit code. */
export async function main(argv: string[], opts: RunOptions = {}): Promise<number> {
  const io: Io = opts.io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const env = opts.env ?? process.env;
  const wantsJson = argv.includes('--json');
  let exitCode = 0;

  const invoke: Invoke = async (spec, cmd, args) => {
    const globals = readGlobals(cmd, env);
    const ctx = new Context(globals, io, env);
    try {
      const result = await spec.run(ctx, args, cmd.opts());
      await ctx.close();
      if (globals.json) io.stdout.write(jsonSuccess(result));
      else {
        io.stderr.write(renderSideNotes(result, io, env));
        io.stdout.write(renderHuman(result, io, env));
        if (result.failure) io.stderr.write(humanError(result.failure, io, env));
      }
      exitCode = result.failure ? result.failure.exitCode : 0;
    } catch (e) {
      await ctx.close();
      throw e;
    }
  };

  const program = buildProgram(invoke);
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    // Commander's own error text is replaced by ours (one line + hint); help still prints.
    writeErr: (s) => {
      if (!s.startsWith('error:')) io.stderr.write(s);
    },
  });
  // Every subcommand inherits exitOverride and the output configuration.
  const inherit = (c: Command) => {
    for (const sub of c.commands) {
      sub.exitOverride();
      sub.configureOutput(program.configureOutput());
      inherit(sub);
    }
  };
  inherit(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return 0;
      // `emr` or a bare group (`emr key`) with no command: commander printed the help on
      // stderr; it is still a usage error (exit 2), and with --json stdout carries its one
      // JSON document like every other failure (docs/CLI.md § Global behaviour).
      const err =
        e.code === 'commander.help'
          ? new UsageError('no command given', { hint: 'pick a command from the list above (`emr --help`)' })
          : new UsageError(e.message.replace(/^error:\s*/, ''), { hint: 'see `emr --help` or `emr <command> --help`' });
      writeError(err, wantsJson, io, env);
      return err.exitCode;
    }
    const err: EmrError = toEmrError(e);
    writeError(err, wantsJson, io, env);
    return exitCodeOf(err);
  }
}

function writeError(err: EmrError, json: boolean, io: Io, env: NodeJS.ProcessEnv): void {
  if (json) io.stdout.write(jsonFailure(err));
  else io.stderr.write(humanError(err, io, env));
}
