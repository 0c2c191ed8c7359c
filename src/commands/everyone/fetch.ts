/**
 * `emr fetch <recordId> [-o <file>] [--raw] [--no-receipt]` (CLI.md § Records): check access,
 * fetch, verify, decrypt; plaintext appears only after every chunk authenticated and the
 * signature verified; then a read receipt on chain (the patient's "who looked").
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';
import { refuseOverwrite } from '../output-file.js';

export const fetch = defineCommand({
  name: 'fetch',
  summary: 'fetch, verify and decrypt a record you may read',
  args: ['<recordId>'],
  options: [
    { flags: '-o, --output <file>', description: 'where to write it (default: the original file name, or record-<id>)' },
    { flags: '--raw', description: 'keep the ciphertext (CID-verified), skip decryption; open later with `emr decrypt`' },
    { flags: '--no-receipt', description: 'do not post the on-chain read receipt' },
    { flags: '--force', description: 'overwrite the output file' },
  ],
  async run(ctx, [idArg]: [string], opts: { output?: string; raw?: boolean; receipt: boolean; force?: boolean }) {
    if (!/^\d+$/.test(idArg)) throw new UsageError(`not a record id: ${idArg}`, { hint: 'record ids are numbers, see `emr record list`' });
    const { unlock } = await import('../../identity/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor } = await import('../../session/store.js');
    const { getRecord } = await import('../../chain/records.js');
    const { checkReadAccess, openRecord } = await import('../../records/fetch.js');
    const me = await unlock(ctx);
    const chain = await chainFor(ctx, { signer: opts.receipt });
    const store = await storeFor(ctx);
    const rec = await getRecord(chain, BigInt(idArg));
    await checkReadAccess(chain, me.profile.address, rec);
    const deps = { chain, store, me };
    let data;
    if (opts.raw) {
      const out = opts.output ?? `record-${idArg}.age`;
      refuseOverwrite(out, opts.force);
      const { saveStream } = await import('../../records/save.js');
      const sha256 = await saveStream(store.cat(rec.cid), out);
      data = { id: idArg, path: out, sha256, author: rec.author, patient: rec.patient, cid: rec.cid, signatureValid: null as boolean | null, raw: true };
    } else {
      // Verify first without writing, to learn the file name; then decrypt for real. A record
      // is read twice, but nothing is written until the signature is known good.
      const checked = await openRecord(deps, rec, null);
      const out = opts.output ?? (checked.fileName && !existsSync(checked.fileName) ? checked.fileName : `record-${idArg}`);
      refuseOverwrite(out, opts.force);
      const opened = await openRecord(deps, rec, out);
      data = { ...opened, path: out };
    }
    let receiptTx: string | null = null;
    if (opts.receipt) {
      const { logAccess } = await import('../../chain/log-access.js');
      receiptTx = (await logAccess(chain, { recordId: rec.id, patient: rec.patient, recordType: rec.recordType })).txHash;
    }
    return {
      data: { ...data, receiptTx },
      view: {
        title: opts.raw ? `Fetched ciphertext of record ${idArg} → ${data.path}` : `Fetched and verified record ${idArg} → ${data.path}`,
        fields: [
          ['author', rec.author + (ctx.profiles.byAddress(rec.author) ? ` (${ctx.profiles.byAddress(rec.author)!.name})` : '')],
          ['signature', opts.raw ? 'not checked (--raw)' : 'valid'],
          ['sha256', data.sha256],
          ['receipt', receiptTx ?? 'none (--no-receipt)'],
        ],
      },
    };
  },
});
