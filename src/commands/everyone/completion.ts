/**
 * `emr completion bash|zsh|fish` (docs/CLI.md § Everyday use): a completion script on
 * stdout, generated from the command tree (src/ops/completion.ts).
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const completion = defineCommand({
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish) for subcommands, options, record types and profiles',
  args: ['<shell>'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a zsh expansion in a shell example, not a JS template
  examples: ['emr completion bash > ~/.local/share/bash-completion/completions/emr', 'source <(emr completion bash)   # in ~/.bashrc', 'emr completion zsh > "${fpath[1]}/_emr"', 'emr completion fish > ~/.config/fish/completions/emr.fish'],
  async run(ctx, [shell]: [string]) {
    const { SHELLS, completionScript } = await import('../../ops/completion.js');
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`no completion for shell '${shell}'`, { hint: `one of: ${SHELLS.join(', ')}` });
    // The tree as the program built it for this run (role prefixes and merged groups included).
    if (!ctx.program) throw new Error('no command tree on the context');
    const { RECORD_TYPES } = await import('../../record-types.js');
    const toNode = (c: Command): import('../../ops/completion.js').CompletionNode => ({
      name: c.name(),
      aliases: c.aliases(),
      options: c.options.map((o) => ({ flags: [o.short, o.long].filter((f): f is string => !!f), takesValue: o.required || o.optional })),
      children: c.commands.map(toNode),
    });
    const script = completionScript(shell as (typeof SHELLS)[number], toNode(ctx.program), RECORD_TYPES);
    if (!ctx.json) ctx.io.stdout.write(script);
    return { data: { shell, script }, view: {} };
  },
});
