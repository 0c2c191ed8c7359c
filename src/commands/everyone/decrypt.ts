/**
 * `emr decrypt <file|-> [-o <file|->]` (docs/CLI.md § Local files): opens a bundle (or any age
 * file addressed to the profile) and verifies the signature before the output appears —
 * plaintext goes to a temporary file renamed only after the last chunk authenticated and the
 * signature verified. A plain age file is reported as unsigned. With `-o -` the verified
 * plaintext is copied out of a private temporary file only after every check passed
 * (docs/FORMAT.md § 1.6).
 */
import { existsSync, readFileSync } from 'node:fs';
import { NotFoundError, UsageError } from '../../errors.js';
import { refuseOverwrite, refuseStdoutInJson } from '../output-file.js';
import { defineCommand } from '../spec.js';

function defaultOutput(file: string): string {
  return file.endsWith('.age') ? file.slice(0, -4) : `${file}.decrypted`;
}

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
    const fromStdin = file === '-';
    if (!fromStdin && !existsSync(file)) throw new NotFoundError(`no such file: ${file}`, { hint: 'check the path' });
    const output = opts.output ?? (fromStdin ? '-' : defaultOutput(file));
    refuseOverwrite(output, opts.force);
    refuseStdoutInJson(ctx, output);
    let identities: string[];
    if (opts.identity) {
      let text: string;
      try {
        text = readFileSync(opts.identity, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read identity file ${opts.identity}`, { hint: 'check the path', cause: e });
      }
      identities = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    } else {
      const { unlock } = await import('../../session/unlock.js');
      identities = [(await unlock(ctx)).age.identity];
    }
    const { decryptBundle } = await import('../../crypto/bundle.js');
    const input = fromStdin ? ctx.io.stdin : file;
    let res;
    if (output === '-') {
      // A stream cannot un-write: decrypt into a private temporary file, verified, and only
      // then copy it out (FORMAT.md § 1.6), so a tampered file prints no plaintext at all.
      const { withPrivateTemp, copyToStream } = await import('../../records/save.js');
      res = await withPrivateTemp(async (tmp) => {
        const r = await decryptBundle({ input, output: tmp, identities });
        await copyToStream(tmp, ctx.io.stdout);
        return r;
      });
    } else {
      res = await decryptBundle({ input, output, identities });
    }
    if (!res.signed) {
      return {
        data: { path: output, signed: false, signatureValid: false, sha256: res.sha256, size: res.size },
        view: output === '-' ? { warnings: ['not an emr bundle: the content is unsigned (authenticated by age only)'] } : {
          title: `Decrypted ${file} → ${output}`,
          fields: [['signed', 'no (a plain age file)'], ['sha256', res.sha256]],
          warnings: ['not an emr bundle: the content is unsigned; age authenticates it, but not who wrote it'],
        },
      };
    }
    const m = res.metadata;
    const author = ctx.profiles.byAddress(res.author);
    const data = {
      path: output,
      signed: true,
      signatureValid: true,
      author: res.author,
      sha256: res.sha256,
      size: res.size,
      patient: m.patient,
      type: m.type,
      title: m.title ?? null,
      fileName: m.fileName ?? null,
      createdAt: new Date(m.createdAt * 1000).toISOString(),
    };
    return {
      data,
      view: output === '-' ? {} : {
        title: `Decrypted and verified ${file} → ${output}`,
        fields: [
          ['signed by', author ? `${res.author} (${author.name})` : res.author],
          ['patient', m.patient],
          ['type', m.type],
          ['title', m.title],
          ['created', data.createdAt],
          ['sha256', res.sha256],
        ],
      },
    };
  },
});
