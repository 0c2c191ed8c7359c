/**
 * `emr encrypt <file|-> --to <who>... [-o <file|->]` (docs/CLI.md § Local files): a record bundle
 * signed by the acting profile and encrypted to exactly the recipients named
 * (records/encrypt-file.ts).
 */
import { existsSync } from 'node:fs';
import { NotFoundError, UsageError } from '../../errors.js';
import type { CommandResult } from '../../output.js';
import { refuseOverwrite, refuseStdoutInJson } from '../output-file.js';
import { defineCommand } from '../spec.js';

export const encrypt = defineCommand({
  name: 'encrypt',
  summary: 'sign and encrypt a file into a record bundle (an age file) for the recipients',
  args: ['<file>'],
  options: [
    { flags: '-t, --to <who>', description: 'recipient: age1…, a profile, or a registered 0x address (repeatable)', repeatable: true },
    { flags: '--self', description: 'also encrypt to the acting profile' },
    { flags: '-o, --output <file>', description: 'output file, or - for stdout (default: <file>.age; stdout for stdin)' },
    { flags: '--patient <who>', description: 'the patient the record is about (default: the acting profile)' },
    // The same default as `record add`: a bundle made here can be added later unchanged.
    { flags: '--type <type>', description: 'record type (see `emr record types`)', default: 'note' },
    { flags: '--title <text>', description: 'a short title, inside the encryption' },
    { flags: '--force', description: 'overwrite the output file' },
  ],
  examples: ['emr encrypt lab.pdf --to bob --type lab -o lab.pdf.age', 'cat note.txt | emr encrypt - --to age1… > note.age'],
  async run(
    ctx,
    [file]: [string],
    opts: { to?: string[]; self?: boolean; output?: string; patient?: string; type: string; title?: string; force?: boolean },
  ) {
    if (file !== '-' && !existsSync(file)) throw new NotFoundError(`no such file: ${file}`, { hint: 'check the path' });
    const output = opts.output ?? (file === '-' ? '-' : `${file}.age`);
    refuseOverwrite(output, opts.force);
    refuseStdoutInJson(ctx, output);
    const to = [...(opts.to ?? [])];
    if (!to.length && !opts.self) throw new UsageError('no recipients', { hint: 'pass --to <who> (repeatable) or --self' });
    const input = { file, output, to, self: !!opts.self, patient: opts.patient, type: opts.type, title: opts.title };
    const flow = await import('../../records/encrypt-file.js');
    // Only a `--to 0x…` that is no local profile needs the chain (and so ethers): otherwise a
    // local session, which loads neither the chain client nor the store (issue 11).
    if (flow.encryptNeedsChain(ctx, to)) {
      const [{ openChainSession }, { lookupRecipient }] = await Promise.all([
        import('../../session/chain-session.js'),
        import('../../session/chain.js'),
      ]);
      const s = await openChainSession(ctx, { unlock: true, chain: true });
      return view(await flow.encryptFile(s, { ...input, lookup: (a) => lookupRecipient(ctx, a) }));
    }
    const { openLocalSession, unlockingIdentity } = await import('../../session/local.js');
    // A passphrase from a file or the environment and a file output: the keystore unlocks
    // while the content is encrypted (its key signs only the trailer, session/local.ts).
    // Without a source, the unlock first: no TTY then fails at once (exit 2), not after the input.
    if (ctx.hasPassphraseSource && output !== '-') {
      const s = await openLocalSession(ctx, { unlock: false });
      return view(await flow.encryptFile({ ...s, me: unlockingIdentity(ctx) }, input));
    }
    return view(await flow.encryptFile(await openLocalSession(ctx, { unlock: true }), input));
    function view(data: Awaited<ReturnType<typeof flow.encryptFile>>): CommandResult {
      return {
        data,
        view:
          output === '-'
            ? {}
            : {
                title: `Encrypted ${file === '-' ? 'stdin' : file} → ${output}`,
                fields: [
                  ['signed by', data.author],
                  ['recipients', data.recipients.length],
                  ['sha256', data.sha256],
                ],
              },
      };
    }
  },
});
