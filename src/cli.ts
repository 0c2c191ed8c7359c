/**
 * Builds the commander program from the role specs (docs/CLI.md § Commands: grouped by role in
 * `emr --help`, each role also reachable as a prefix), runs one command, renders its
 * result through output.ts, and maps every error to its exit code in one place.
 * Returns the exit code; only bin/emr.js sets it on the process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, type Help, Option } from 'commander';
import { roles } from './commands/index.js';
import { newContext } from './commands/new-context.js';
import type { CommandArgs, CommandSpec, Node, RoleSpec } from './commands/spec.js';
import { resolveHome } from './config.js';
import type { GlobalOptions, Io } from './context.js';
import { type EmrError, exitCodeOf, toEmrError, UsageError } from './errors.js';
import { humanError, jsonFailure, jsonSuccess, renderHuman, renderSideNotes } from './output.js';
import { packageVersion } from './package-info.js';
import { suggest } from './suggest.js';

export interface RunOptions {
  io?: Io;
  env?: NodeJS.ProcessEnv;
}

/** A top-level tree where same-named groups of different roles are merged (`access`). */
type Merged =
  | { kind: 'command'; spec: CommandSpec; heading?: string }
  | { kind: 'group'; name: string; summary: string; heading?: string; children: Map<string, Merged> };

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

type Invoke = (spec: CommandSpec, cmd: Command, args: CommandArgs) => Promise<void>;

/**
 * Adds `node` under `parent`. A group that is not `deep` gets its name, summary and heading
 * only: commander needs no subcommands of a group the command line does not name, and
 * building all ~80 commands with their options was ~15 ms of `emr --help`'s start-up.
 */
function materialize(parent: Command, name: string, node: Merged, invoke: Invoke, deep = true): void {
  if (node.kind === 'group') {
    const g = parent.command(name).description(node.summary);
    if (node.heading) g.helpGroup(node.heading);
    if (deep) for (const [childName, child] of node.children) materialize(g, childName, child, invoke);
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
    if (o.hidden) opt.hideHelp();
    c.addOption(opt);
  }
  // Every command's help ends with an example (docs/CLI.md § Commands); a command without
  // its own gets the plain form of its usage, so the section is never missing.
  const examples = spec.examples?.length ? spec.examples : [['emr', ...commandPath(c), ...(spec.args ?? [])].join(' ')];
  c.addHelpText('after', '\nExamples:\n' + examples.map((e) => `  $ ${e}`).join('\n'));
  // commander dispatches a matching first operand to the subcommand, anything else to this action.
  for (const sub of spec.subcommands ?? []) materialize(c, sub.name, { kind: 'command', spec: sub }, invoke);
  c.action(async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    // commander passes the declared arguments first: strings, a variadic one as string[],
    // an absent optional one as undefined (spec.args declares no custom argument parser).
    await invoke(spec, cmd, all.slice(0, -2) as CommandArgs);
  });
}

/** `emr record add` → ['record', 'add'] (the role prefix included when reached through one). */
function commandPath(c: Command): string[] {
  const out: string[] = [];
  for (let x: Command | null = c; x?.parent; x = x.parent) out.unshift(x.name());
  return out;
}

/** The first word of argv that is not an option (or an option's value): the command. */
export function firstOperand(argv: string[], valueOptions: ReadonlySet<string>): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (valueOptions.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

function globalOptions(program: Command): void {
  program
    .option('--home <dir>', 'where config, keystores, the embedded IPFS store and devnet state live (env EMR_HOME)')
    .option('--profile <name>', 'which local identity acts (env EMR_PROFILE)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option(
      '--rpc-url <url>',
      'EVM JSON-RPC endpoint (env EMR_RPC_URL, ETH_RPC_URL; default: the embedded devnet); give it twice to cross-check the keys read',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--contract <address>', 'the access-control contract (env EMR_CONTRACT)')
    .option(
      '--ipfs-api <url>',
      'a Kubo RPC API, e.g. http://127.0.0.1:5001 (env EMR_IPFS_API; default: the embedded store); repeat to store and pin on several nodes',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--replicas <n>', 'with several --ipfs-api: how many nodes must hold a record before it is registered (default: all)')
    .option(
      '--ipfs-gateway <url>',
      'an IPFS Trustless Gateway to read records through; repeatable, tried in order (env EMR_IPFS_GATEWAY, comma-separated)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--password-file <file>', 'file holding the keystore passphrase (env EMR_PASSWORD_FILE, EMR_PASSWORD)')
    .option('-y, --yes', 'answer yes to confirmations');
}

/** The whole command tree (completion and the doc check walk it). */
export function buildProgram(invoke: Invoke): Command {
  return addCommands(newProgram(), invoke);
}

/** `emr` with its global options and no commands yet. */
function newProgram(): Command {
  const program = new Command('emr');
  program
    .description('Patient-controlled medical records: encrypted, signed, on IPFS, with access on chain.')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .helpCommand(false);
  globalOptions(program);
  return program;
}

/**
 * Adds every top-level command and group; with `only` (the command line's first word), the
 * other groups stay shallow (materialize). The root help lists the roles from the specs
 * (rolesHelp), not from commander's tree, so it is the same either way.
 */
function addCommands(program: Command, invoke: Invoke, only?: string): Command {
  const top = new Map<string, Merged>();
  for (const role of roles) mergeInto(top, role.children, `${role.heading}:`);
  // Role prefixes that are not already a top-level group get their own command.
  for (const role of roles) {
    const kids = roleChildren(role);
    const existing = top.get(role.name);
    if (existing?.kind === 'group') {
      // e.g. `admin`: the admin group plus the rest of the admin role (devnet).
      mergeInto(
        existing.children,
        kids.filter((k) => !existing.children.has(k.name)),
      );
      existing.summary = role.summary;
    } else if (!existing) {
      const g: Merged = {
        kind: 'group',
        name: role.name,
        summary: role.summary,
        heading: "Role prefixes (list one role's commands):",
        children: new Map(),
      };
      mergeInto(g.children, kids);
      // Commands of other roles this role uses too (a patient lists records and reads the
      // audit), so `emr <role> --help` shows everything the README has that person run.
      for (const path of role.also ?? []) {
        const node = nodeAt(path);
        if (node) mergeInto(g.children, [node]);
      }
      top.set(role.name, g);
    }
  }
  for (const [name, node] of top) materialize(program, name, node, invoke, only === undefined || name === only);
  // docs/CLI.md § Commands: "`emr --help` lists the commands grouped by role, so each person sees
  // their part first". Commander can list a command under one heading only, and `access` /
  // `emergency` belong to two roles, so the root help lists each role's leaf commands itself.
  // Each command's help also lists the global options it honours (--json, --profile, …).
  program.configureHelp({
    showGlobalOptions: true,
    minWidthToWrap: 20,
    visibleCommands: (cmd) => (cmd === program ? [] : cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)),
  });
  const everyCommand = (c: Command): Command[] => c.commands.flatMap((x) => [x, ...everyCommand(x)]);
  for (const c of everyCommand(program))
    c.configureHelp(isGroup(c) ? { ...program.configureHelp(), formatHelp: groupHelp } : program.configureHelp());
  program.addHelpText('after', () => rolesHelp(helpWidth(process.stdout)));
  return program;
}

/** A group (`emr patient`, `emr record`): subcommands and no action of its own. */
function isGroup(c: Command): boolean {
  return c.commands.length > 0 && !(c as unknown as { _actionHandler?: unknown })._actionHandler;
}

/** `record add <file...>`: the words under `from` and the arguments. */
function leafTerms(from: Command, c: Command, prefix: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const sub of c.commands) {
    if ((sub as unknown as { _hidden?: boolean })._hidden) continue;
    const words = [...prefix, sub.name()];
    if (!isGroup(sub)) {
      const args = sub.registeredArguments.map((a) =>
        a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`,
      );
      out.push([[...words, ...args].join(' '), sub.description()]);
    }
    out.push(...leafTerms(from, sub, words));
  }
  return out;
}

/**
 * A group's help (issue 22 point 5): every command under it, nested ones included
 * (`emr provider --help` lists `record add`), first; the global options are one line
 * pointing to `emr --help`, not twenty lines before the commands.
 */
function groupHelp(cmd: Command, helper: Help): string {
  const path = ['emr', ...commandPath(cmd)].join(' ');
  const width = helper.helpWidth ?? 80;
  const terms = leafTerms(cmd, cmd, []);
  const pad = Math.min(30, Math.max(...terms.map(([t]) => t.length)) + 2);
  const lines = terms.map(([t, d]) => helper.formatItem(t, pad, d, helper));
  return [
    `Usage: ${path} <command> [options]`,
    '',
    helper.boxWrap(cmd.description(), width),
    '',
    'Commands:',
    ...lines,
    '',
    helper.boxWrap(
      `Global options (--json, --profile, --home, --password-file, --rpc-url, …): see \`emr --help\`. A command's own options and an example: \`${path} <command> --help\`.`,
      width,
    ),
    '',
  ].join('\n');
}

/** The width help text wraps at: the terminal's, 80 when unknown or 0 (a 0-column pty). */
export function helpWidth(stream: { isTTY?: boolean; columns?: number }): number {
  const c = stream.isTTY ? stream.columns : undefined;
  return typeof c === 'number' && c > 0 ? Math.max(40, c) : 80;
}

/** 'record list' → a node holding just that command, nested in its groups, from any role. */
function nodeAt(path: string): Node | undefined {
  const words = path.split(' ');
  const find = (nodes: Node[], i: number): Node | undefined => {
    for (const n of nodes) {
      if (n.name !== words[i]) continue;
      if (i === words.length - 1) return n.kind === 'command' ? n : undefined;
      if (n.kind === 'group') {
        const inner = find(n.children, i + 1);
        if (inner) return { ...n, children: [inner] };
      }
    }
    return undefined;
  };
  for (const role of roles) {
    const hit = find(role.children, 0);
    if (hit) return hit;
  }
  return undefined;
}

function leafLines(nodes: Node[], prefix: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const n of nodes) {
    if (n.kind === 'group') out.push(...leafLines(n.children, [...prefix, n.name]));
    else {
      out.push([[...prefix, n.name, ...(n.args ?? [])].join(' '), n.summary]);
      for (const sub of n.subcommands ?? []) out.push([[...prefix, n.name, sub.name, ...(sub.args ?? [])].join(' '), sub.summary]);
    }
  }
  return out;
}

function rolesHelp(total: number): string {
  const sections = roles.map((role) => ({ heading: role.heading, lines: leafLines(role.children, []) }));
  const width = Math.min(28, Math.max(...sections.flatMap((s) => s.lines.map(([u]) => u.length))) + 2);
  const wrap = (text: string, indent: number) => {
    const max = Math.max(20, total - indent);
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
    .map(
      (s) =>
        `${s.heading}:\n` +
        s.lines
          .map(([u, d]) =>
            u.length + 2 > width ? `  ${u}\n${' '.repeat(width + 2)}${wrap(d, width + 2)}` : `  ${u.padEnd(width)}${wrap(d, width + 2)}`,
          )
          .join('\n'),
    )
    .join('\n\n');
  const tail =
    'Each role is also a prefix: `emr patient --help`, `emr provider record add …`, `emr admin verify …`. Run `emr <command> --help` for options and an example; ' +
    `${docsPath('CLI.md')} has them all (every document: ${docsPath('')}). ` +
    'Exit codes: 0 ok, 1 bug, 2 usage, 3 access denied, 4 integrity, 5 bad passphrase, 6 unavailable, 7 not found.';
  return `\n${body}\n\n${wrap(tail, 0)}`;
}

/**
 * Where a document of this installation is (issue 22 point 13: "docs/CLI.md" meant nothing
 * after a global install). The package ships docs/ (package.json `files`) beside dist/: the
 * bundle runs from dist/bundle/, the tsc build from dist/.
 */
export function docsPath(name: string): string {
  for (const rel of ['../../docs/', '../docs/']) {
    const p = fileURLToPath(new URL(rel + name, import.meta.url));
    if (existsSync(p)) return p;
  }
  return `docs/${name} (in the emr package)`;
}

function readGlobals(cmd: Command, env: NodeJS.ProcessEnv): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, string | boolean | undefined>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    home: resolveHome(str(o.home), env),
    homeExplicit: !!str(o.home) || !!str(env.EMR_HOME),
    profile: str(o.profile),
    json: !!o.json,
    rpcUrl: (Array.isArray(o.rpcUrl) ? str(o.rpcUrl[0]) : undefined) ?? str(env.EMR_RPC_URL) ?? str(env.ETH_RPC_URL),
    ...rpcWitnesses(o.rpcUrl),
    contract: str(o.contract) ?? str(env.EMR_CONTRACT),
    ipfsApi: (Array.isArray(o.ipfsApi) ? str(o.ipfsApi[0]) : undefined) ?? str(env.EMR_IPFS_API),
    ...(Array.isArray(o.ipfsApi) && o.ipfsApi.length > 1 ? { ipfsApis: o.ipfsApi as string[] } : {}),
    ...(str(o.replicas) ? { replicas: parseReplicas(o.replicas as string) } : {}),
    ...gatewayList(o.ipfsGateway, env.EMR_IPFS_GATEWAY),
    passwordFile: str(o.passwordFile),
    yes: !!o.yes,
  };
}

/** `--rpc-url` given more than once: the others cross-check the first (docs/SHARING.md § 8.4). */
function rpcWitnesses(flag: unknown): { rpcWitnesses?: string[] } {
  const urls = (Array.isArray(flag) ? (flag as unknown[]) : []).filter((u): u is string => typeof u === 'string' && u !== '');
  if (urls.length > 4)
    throw new UsageError('--rpc-url is given more than 4 times', { hint: 'one endpoint, or two (up to four) to cross-check' });
  return urls.length > 1 ? { rpcWitnesses: urls.slice(1) } : {};
}

/** `--replicas <n>`: a positive integer (STORAGE.md § Replicas). */
function parseReplicas(v: string): number {
  if (!/^[1-9]\d{0,2}$/.test(v))
    throw new UsageError(`--replicas ${JSON.stringify(v)} is not a positive integer`, { hint: 'e.g. --replicas 2' });
  return Number(v);
}

/** `--ipfs-gateway` (repeatable) wins over EMR_IPFS_GATEWAY (comma-separated); neither: the config decides. */
function gatewayList(flag: unknown, envValue: string | undefined): { ipfsGateways?: string[] } {
  const list = Array.isArray(flag) ? (flag as string[]) : (envValue ?? '').split(',');
  const urls = list.map((u) => u.trim()).filter((u) => u !== '');
  return urls.length > 0 ? { ipfsGateways: urls } : {};
}

/** Runs `emr` with the given argv (without node and script). Resolves to the exit code. */
export async function main(argv: string[], opts: RunOptions = {}): Promise<number> {
  const io: Io = opts.io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const env = opts.env ?? process.env;
  const wantsJson = argv.includes('--json');
  let exitCode = 0;

  const invoke: Invoke = async (spec, cmd, args) => {
    const globals = readGlobals(cmd, env);
    const ctx = await newContext(globals, io, env);
    // The whole tree, built when a command asks for it (completion): this run's is partial.
    let full: Command | undefined;
    Object.defineProperty(ctx, 'program', { get: () => (full ??= buildProgram(invoke)), configurable: true });
    try {
      const result = await spec.run(ctx, args, cmd.opts());
      await ctx.close();
      if (result.printed) {
        // already on stdout (store serve): nothing more, so --json stays one document
      } else if (globals.json) io.stdout.write(jsonSuccess(result));
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

  const program = newProgram();
  // An unknown command is a usage error even with --help (`emr pharmacist --help` used to
  // print the root help and exit 0), with a "did you mean" when a name is close.
  // The global options that take a value, read off the program itself: a hand-kept list
  // went stale when --ipfs-gateway and --replicas came (their value was taken for a command).
  const valueOptions = new Set(
    program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)),
  );
  const word = firstOperand(argv, valueOptions);
  // Only the group the command line names is built in full (`emr --help` builds none).
  addCommands(program, invoke, word ?? '');
  const topNames = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  if (word !== undefined && !topNames.includes(word)) {
    const close = suggest(word, topNames);
    const err = new UsageError(`unknown command '${word}'`, {
      hint: close.length
        ? `did you mean ${close.map((n) => `\`emr ${n}\``).join(' or ')}? (\`emr --help\` lists them all)`
        : 'see `emr --help` for the commands',
    });
    writeError(err, wantsJson, io, env);
    return err.exitCode;
  }
  program.exitOverride();
  program.configureOutput({
    getOutHelpWidth: () => helpWidth(io.stdout),
    getErrHelpWidth: () => helpWidth(io.stderr),
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

  // A promise some library left without a handler (ethers' pollers did) that rejects while a
  // command runs ends the command as its own error would: one line, a hint, the documented
  // exit code and --json shape, not Node's stack trace and exit 1 (docs/CLI.md § Exit codes).
  let onStray: ((e: unknown) => void) | undefined;
  const stray = new Promise<never>((_, reject) => {
    onStray = reject;
  });
  process.on('unhandledRejection', onStray!);
  try {
    await Promise.race([program.parseAsync(argv, { from: 'user' }), stray]);
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
          : commanderUsageError(e.message, commandWords(program, argv, valueOptions));
      writeError(err, wantsJson, io, env);
      return err.exitCode;
    }
    const err: EmrError = toEmrError(e);
    writeError(err, wantsJson, io, env);
    return exitCodeOf(err);
  } finally {
    process.off('unhandledRejection', onStray!);
  }
}

/** The command words of argv commander reached (`['record']` for `emr record lst`), global option values skipped. */
function commandWords(program: Command, argv: string[], valueOptions: ReadonlySet<string>): string[] {
  const words: string[] = [];
  let at = program;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (valueOptions.has(a)) i++;
    if (a.startsWith('-')) continue;
    const next = at.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!next) break;
    words.push(a);
    at = next;
  }
  return words;
}

/**
 * Commander's own message is one line plus, sometimes, "(Did you mean x?)" on the next: the
 * line is the message, the suggestion goes to the hint (docs/CLI.md § Global behaviour: a
 * mistyped command or option gets a "did you mean"), never a literal newline in either.
 */
function commanderUsageError(raw: string, words: string[]): UsageError {
  const [first = '', ...rest] = raw.replace(/^error:\s*/, '').split('\n');
  const mean = /\(Did you mean ([^?]+)\?\)/.exec(rest.join(' '))?.[1]?.trim();
  const cmd = ['emr', ...words].join(' ');
  const help = `\`${cmd} --help\``;
  if (!mean) return new UsageError(first, { hint: words.length ? `see ${help}` : 'see `emr --help` or `emr <command> --help`' });
  const guess = mean.startsWith('-') ? `\`${mean}\`` : `\`${cmd} ${mean}\``;
  return new UsageError(first, { hint: `did you mean ${guess}? (${help} lists them all)` });
}

function writeError(err: EmrError, json: boolean, io: Io, env: NodeJS.ProcessEnv): void {
  if (json) io.stdout.write(jsonFailure(err));
  else io.stderr.write(humanError(err, io, env));
}
