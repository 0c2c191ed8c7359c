/**
 * `emr encrypt <file|-> --to <who>... [-o <file|->]` (docs/CLI.md § Local files): a record bundle
 * (docs/FORMAT.md) signed by the acting profile and encrypted to exactly the recipients named
 * — like age, the author is not added silently (`--to me` or `--self` does that).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { NotFoundError, UsageError } from '../../errors.js';
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
  async run(ctx, [file]: [string], opts: { to?: string[]; self?: boolean; output?: string; patient?: string; type: string; title?: string; force?: boolean }) {
    const fromStdin = file === '-';
    if (!fromStdin && !existsSync(file)) throw new NotFoundError(`no such file: ${file}`, { hint: 'check the path' });
    const output = opts.output ?? (fromStdin ? '-' : `${file}.age`);
    refuseOverwrite(output, opts.force);
    refuseStdoutInJson(ctx, output);
    const who = [...(opts.to ?? [])];
    if (!who.length && !opts.self) throw new UsageError('no recipients', { hint: 'pass --to <who> (repeatable) or --self' });
    const { resolveRecipient, resolveAddress } = await import('../../session/resolve.js');
    const { unlock } = await import('../../session/unlock.js');
    const recipients = await Promise.all(who.map((w) => resolveRecipient(ctx, w)));
    const me = await unlock(ctx);
    if (opts.self) recipients.push(me.age.recipient);
    const patient = opts.patient ? await resolveAddress(ctx, opts.patient) : me.profile.address;
    const { encryptBundle } = await import('../../crypto/bundle.js');
    const res = await encryptBundle({
      input: fromStdin ? ctx.io.stdin : file,
      output: output === '-' ? ctx.io.stdout : output,
      recipients: [...new Set(recipients)],
      meta: {
        patient,
        author: me.profile.address,
        type: opts.type,
        title: opts.title,
        fileName: fromStdin ? undefined : basename(file),
        createdAt: Math.floor(ctx.clock.now().getTime() / 1000),
      },
      signer: await me.wallet(),
    });
    const data = { path: output, recipients: [...new Set(recipients)], sha256: res.sha256, size: res.size, author: me.profile.address };
    return {
      data,
      view: output === '-' ? {} : { title: `Encrypted ${fromStdin ? 'stdin' : file} → ${output}`, fields: [['signed by', me.profile.address], ['recipients', data.recipients.length], ['sha256', res.sha256]] },
    };
  },
});
