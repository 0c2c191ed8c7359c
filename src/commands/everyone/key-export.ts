/**
 * `emr key export <profile> --format keystore-v3|age-identity|mnemonic [-o file]`
 * (docs/CLI.md § Identity; identity/key-export.ts). Secrets go to the file named (0600) or,
 * without -o, to stdout for a pipe — never into --json.
 */
import { UsageError } from '../../errors.js';
import { refuseOverwrite } from '../output-file.js';
import { defineCommand } from '../spec.js';

// Kept here (not imported from the flow) so building the command tree loads no flow.
const FORMATS = ['keystore-v3', 'age-identity', 'mnemonic'] as const;

export const keyExport = defineCommand({
  name: 'export',
  summary: 'export an identity as a v3 keystore (geth, cast, ethers), an age identity file, or its recovery phrase',
  args: ['[profile]'],
  options: [
    { flags: '--format <format>', description: FORMATS.join(' | '), choices: FORMATS, default: 'keystore-v3' },
    { flags: '-o, --output <file>', description: 'write to this file (mode 0600); default: stdout' },
    { flags: '--force', description: 'overwrite the output file if it exists' },
  ],
  examples: [
    'emr key export alice --format age-identity -o alice.key && age -d -i alice.key record.age',
    'cast wallet address --keystore "$(emr key export alice -o alice.json --json | jq -r .data.path)"',
  ],
  async run(ctx, [profileArg]: [string | undefined], opts: { format: (typeof FORMATS)[number]; output?: string; force?: boolean }) {
    const name = ctx.profileName(profileArg);
    ctx.profiles.get(name); // an unknown profile is exit 7 before anything else
    const output = !opts.output || opts.output === '-' ? undefined : opts.output;
    // stdout carries exactly one JSON document in --json mode, and secrets never go in it.
    if (output === undefined && ctx.json)
      throw new UsageError('--json needs -o <file> for the exported key', {
        hint: 'pass -o <file>; the JSON document then names the file',
      });
    if (output !== undefined) refuseOverwrite(output, opts.force);
    const [{ openChainSession }, { exportKey, exportNeedsUnlock }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/key-export.js'),
    ]);
    const data = await exportKey(await openChainSession(ctx, { unlock: exportNeedsUnlock(opts.format), profile: name }), {
      profile: name,
      format: opts.format,
      output,
      force: !!opts.force,
    });
    return {
      data,
      view:
        output === undefined
          ? {}
          : {
              fields: [
                ['exported', `${name} as ${opts.format}`],
                ['file', output],
              ],
            },
    };
  },
});
