/**
 * `emr decrypt <file|-> [-o <file|->]` (docs/CLI.md § Local files): opens a bundle (or any age
 * file addressed to the profile) and verifies the signature before the output appears
 * (records/decrypt-file.ts). A plain age file is reported as unsigned.
 */
import { existsSync } from 'node:fs';
import { NotFoundError } from '../../errors.js';
import { refuseOverwrite, refuseStdoutInJson } from '../output-file.js';
import { defineCommand } from '../spec.js';

export const decrypt = defineCommand({
  name: 'decrypt',
  summary: 'decrypt and verify a record bundle or age file addressed to you',
  args: ['<file>'],
  options: [
    { flags: '-o, --output <file>', description: 'output file, or - for stdout (default: <file> without .age; stdout for stdin)' },
    { flags: '-i, --identity <file>', description: 'an age identity file to use instead of the profile' },
    { flags: '--force', description: 'overwrite the output file' },
  ],
  examples: ['emr decrypt lab.pdf.age', 'emr fetch 12 --raw -o r12.age && emr decrypt r12.age -o r12.pdf'],
  async run(ctx, [file]: [string], opts: { output?: string; identity?: string; force?: boolean }) {
    if (file !== '-' && !existsSync(file)) throw new NotFoundError(`no such file: ${file}`, { hint: 'check the path' });
    const output = opts.output ?? (file === '-' ? '-' : file.endsWith('.age') ? file.slice(0, -4) : `${file}.decrypted`);
    refuseOverwrite(output, opts.force);
    refuseStdoutInJson(ctx, output);
    // A local session: decrypting a file needs neither the chain nor the store (issue 11).
    const [{ openLocalSession }, { decryptFile }] = await Promise.all([
      import('../../session/local.js'),
      import('../../records/decrypt-file.js'),
    ]);
    const s = await openLocalSession(ctx, { unlock: !opts.identity });
    const data = await decryptFile(s, { file, output, identityFile: opts.identity });
    const toStdout = output === '-';
    if (!data.signed) {
      return {
        data,
        view: toStdout
          ? { warnings: ['not an emr bundle: the content is unsigned (authenticated by age only)'] }
          : {
              title: `Decrypted ${file} → ${output}`,
              fields: [
                ['signed', 'no (a plain age file)'],
                ['sha256', data.sha256],
              ],
              warnings: ['not an emr bundle: the content is unsigned; age authenticates it, but not who wrote it'],
            },
      };
    }
    return {
      data,
      view: toStdout
        ? {}
        : {
            title: `Decrypted and verified ${file} → ${output}`,
            fields: [
              ['signed by', ctx.label(data.author, 'withAddress')],
              ['patient', data.patient],
              ['type', data.type],
              ['title', data.title],
              ['created', data.createdAt],
              ['sha256', data.sha256],
            ],
          },
    };
  },
});
