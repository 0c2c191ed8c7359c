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
    { flags: '--raw', description: 'keep the ciphertext (CID-verified), skip decryption; open later with `emr decrypt`' },
    { flags: '--no-receipt', description: 'do not post the on-chain read receipt' },
    { flags: '--force', description: 'overwrite the output file' },
  ],
  async run(ctx, [idArg]: [string], opts: { output?: string; raw?: boolean; receipt: boolean; force?: boolean }) {
    if (!/^\d+$/.test(idArg)) throw new UsageError(`not a record id: ${idArg}`, { hint: 'record ids are numbers, see `emr record list`' });
    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor } = await import('../../session/store.js');
    const { getRecord } = await import('../../chain/records.js');
    const { checkReadAccess, fetchRaw, fetchRecord } = await import('../../records/fetch.js');
    // `-o -` is stdout (docs: "- means stdout"); in --json mode stdout carries the document.
    const toStdout = opts.output === '-';
    refuseStdoutInJson(ctx, opts.output ?? '');
    const target = toStdout
      ? { kind: 'stdout' as const, stream: ctx.io.stdout }
      : opts.output !== undefined ? { kind: 'file' as const, path: opts.output, force: opts.force } : { kind: 'default' as const, force: opts.force };
    if (target.kind === 'file') refuseOverwrite(target.path, opts.force);
    // The key is needed to decrypt or to sign the receipt; `--raw --no-receipt` needs neither
    // (the access check only needs the address), so it asks for no passphrase.
    const needsKey = !opts.raw || opts.receipt;
    const me = needsKey ? await unlock(ctx) : undefined;
    const reader = me?.profile ?? ctx.profile();
    const chain = await chainFor(ctx, { signer: opts.receipt });
    const store = await storeFor(ctx);
    const rec = await getRecord(chain, BigInt(idArg));
    await checkReadAccess(chain, reader.address, rec);
    let data;
    if (opts.raw) {
      const saved = await fetchRaw(store, rec, target);
      data = { id: idArg, ...saved, author: rec.author, patient: rec.patient, cid: rec.cid, signatureValid: null as boolean | null, raw: true };
    } else {
      data = await fetchRecord({ chain, store, me: me! }, rec, target);
    }
    // docs/FHIR.md § 5: say when a later correction the reader can open replaces this record.
    let supersededBy: string | undefined;
    if (!opts.raw) {
      const { findSupersededBy } = await import('../../records/supersede.js');
      // The record is already verified and written: a failure here only leaves it unknown.
      supersededBy = await findSupersededBy({ home: ctx.home, chain, store, me: me! }, rec).catch(() => undefined);
    }
    let receiptTx: string | null = null;
    if (opts.receipt) {
      const { logAccess } = await import('../../chain/log-access.js');
      receiptTx = (await logAccess(chain, { recordId: rec.id, patient: rec.patient, recordType: rec.recordType })).txHash;
    }
    return {
      data: { ...data, receiptTx, ...(supersededBy ? { supersededBy } : {}) },
      // With `-o -` stdout carries the record itself: no human summary mixed into it.
      view: toStdout ? {} : {
        title: opts.raw ? `Fetched ciphertext of record ${idArg} → ${data.path}` : `Fetched and verified record ${idArg} → ${data.path}`,
        fields: [
          ['author', rec.author + (ctx.profiles.byAddress(rec.author) ? ` (${ctx.profiles.byAddress(rec.author)!.name})` : '')],
          ['signature', opts.raw ? 'not checked (--raw)' : 'valid'],
          ['sha256', data.sha256],
          ['receipt', receiptTx ?? 'none (--no-receipt)'],
        ],
        ...(supersededBy ? { warnings: [`record ${idArg} is superseded by record ${supersededBy} (a correction); fetch that one for the current version`] } : {}),
      },
    };
  },
});
