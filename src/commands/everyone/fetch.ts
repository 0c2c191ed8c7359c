/**
 * `emr fetch <recordId> [-o <file>] [--raw] [--no-receipt]` (docs/CLI.md § Records): check access,
 * fetch, verify, decrypt; plaintext appears only after every chunk authenticated and the
 * signature verified; then a read receipt on chain (the patient's "who looked").
 */
import { UsageError } from '../../errors.js';
import { refuseOverwrite, refuseStdoutInJson } from '../output-file.js';
import { defineCommand } from '../spec.js';

export const fetch = defineCommand({
  name: 'fetch',
  summary: 'fetch, verify and decrypt a record you may read',
  args: ['<recordId>'],
  options: [
    { flags: '-o, --output <file>', description: 'where to write it, or - for stdout (default: the original file name, or record-<id>)' },
    {
      flags: '--raw',
      description:
        'keep the ciphertext (CID-verified), skip decryption; open later with `emr decrypt` (a key delivered to you is kept beside it as <file>.key)',
    },
    {
      flags: '--receipt',
      description: 'post the on-chain read receipt also when it is not the default (your own record, --raw)',
    },
    { flags: '--no-receipt', description: 'do not post the on-chain read receipt (default: one when you read another patient’s record)' },
    { flags: '--force', description: 'overwrite the output file' },
  ],
  async run(ctx, [idArg]: [string], opts: { output?: string; raw?: boolean; receipt?: boolean; force?: boolean }) {
    if (!/^\d+$/.test(idArg)) throw new UsageError(`not a record id: ${idArg}`, { hint: 'record ids are numbers, see `emr record list`' });
    // `-o -` is stdout (docs: "- means stdout"); in --json mode stdout carries the document.
    refuseStdoutInJson(ctx, opts.output ?? '');
    const toStdout = opts.output === '-';
    const target = toStdout
      ? { kind: 'stdout' as const, stream: ctx.io.stdout }
      : opts.output !== undefined
        ? { kind: 'file' as const, path: opts.output, force: opts.force }
        : { kind: 'default' as const, force: opts.force };
    if (target.kind === 'file') refuseOverwrite(target.path, opts.force);
    const input = { id: BigInt(idArg), target, raw: !!opts.raw, receipt: opts.receipt };
    const [{ openSession }, { fetchOne, fetchNeedsKey, fetchMaySign }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/fetch-record.js'),
    ]);
    const s = await openSession(ctx, { chain: true, signer: fetchMaySign(input), store: true, unlock: fetchNeedsKey(input) });
    const data = await fetchOne(s, input);
    const warnings = [
      ...(data.voided
        ? [
            `record ${idArg} was voided (entered in error) by ${ctx.label(data.voided.by, 'withAddress')} on ${data.voided.at}: ${data.voided.reason}`,
          ]
        : []),
      ...(data.supersededBy
        ? [`record ${idArg} is superseded by record ${data.supersededBy} (a correction); fetch that one for the current version`]
        : []),
    ];
    return {
      data,
      // With `-o -` stdout carries the record itself: no human summary mixed into it (warnings go to stderr).
      view: toStdout
        ? { warnings }
        : {
            title: `${opts.raw ? 'Fetched ciphertext of' : 'Fetched and verified'} record ${idArg} → ${data.path}${'keyFile' in data && data.keyFile ? ` (+ ${data.keyFile}: the key delivered to you; keep them together)` : ''}`,
            fields: [
              ['author', ctx.label(data.author, 'withAddress')],
              ['signature', opts.raw ? 'not checked (--raw)' : 'valid'],
              ['sha256', data.sha256],
              [
                'receipt',
                data.receiptTx ?? (opts.receipt === false ? 'none (--no-receipt)' : 'none (your own record or --raw; --receipt posts one)'),
              ],
            ],
            warnings,
          },
    };
  },
});
