/**
 * `emr completion bash|zsh|fish` (docs/CLI.md § Everyday use): a completion script on
 * stdout, generated from the command tree (src/ops/completion.ts).
 */
import { defineCommand } from '../spec.js';

export const completion = defineCommand({
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish) for subcommands, options, record types and profiles',
  args: ['<shell>'],
  examples: [
    'emr completion bash > ~/.local/share/bash-completion/completions/emr',
    'source <(emr completion bash)   # in ~/.bashrc',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a zsh expansion in a shell example, not a JS template
    'emr completion zsh > "${fpath[1]}/_emr"',
    'emr completion fish > ~/.config/fish/completions/emr.fish',
  ],
  async run(ctx, [shell]: [string]) {
    const [{ openChainSession }, { completionFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../ops/completion.js'),
    ]);
    const data = completionFlow(await openChainSession(ctx, {}), shell);
    // The script itself is the output; with --json it is in the document instead.
    if (!ctx.json) ctx.io.stdout.write(data.script);
    return { data, view: {} };
  },
});
