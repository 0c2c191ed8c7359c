/**
 * The shape of a command (one file each under src/commands/<role>/). A command parses
 * nothing itself and prints nothing: `run` gets the context, the positional arguments and
 * the options commander parsed, and returns data plus an optional human view.
 */
import type { Context } from '../context.js';
import type { CommandResult } from '../output.js';

export interface OptionSpec {
  flags: string;
  description: string;
  default?: string | boolean | string[];
  choices?: readonly string[];
  /** Collect a repeatable option into an array. */
  repeatable?: boolean;
  /** Left out of `--help` (an option kept only to refuse it with a hint). */
  hidden?: boolean;
}

/**
 * What commander hands `run`: the positional arguments in declaration order (a variadic
 * `<file...>` is an array; an absent optional one is undefined) and the parsed options by
 * their camelCase name. A command names the shape it reads in its own `run` signature
 * (method parameters are compared both ways, so `opts: { save?: boolean }` fits).
 */
export type CommandArgs = readonly (string | string[] | undefined)[];
export type CommandOptions = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface CommandSpec {
  kind: 'command';
  name: string;
  summary: string;
  /** commander argument syntax, e.g. `<file...>`, `[patient]`. */
  args?: string[];
  options?: OptionSpec[];
  aliases?: string[];
  examples?: string[];
  /** Subcommands under a command that also runs itself: `emr grant list` beside `emr grant <provider>`. */
  subcommands?: CommandSpec[];
  run(ctx: Context, args: CommandArgs, opts: CommandOptions): Promise<CommandResult>;
}

export interface GroupSpec {
  kind: 'group';
  name: string;
  summary: string;
  children: Array<CommandSpec | GroupSpec>;
}

export type Node = CommandSpec | GroupSpec;

export interface RoleSpec {
  /** The prefix: `emr <role> …`. */
  name: string;
  /** The heading in `emr --help`. */
  heading: string;
  summary: string;
  children: Node[];
  /** Commands of other roles this role also uses ('record list'), listed under its prefix. */
  also?: string[];
}

export const defineCommand = (c: Omit<CommandSpec, 'kind'>): CommandSpec => ({ kind: 'command', ...c });
export const defineGroup = (name: string, summary: string, children: Node[]): GroupSpec => ({ kind: 'group', name, summary, children });
