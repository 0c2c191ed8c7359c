/** `emr record list [--patient <who>]` (docs/CLI.md § Records): from chain events; no decryption. */
import { defineCommand } from '../spec.js';

export const recordList = defineCommand({
  name: 'list',
  summary: 'list registered records (of a patient, or that you authored or own)',
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name (default: the acting profile)' },
    { flags: '--author <who>', description: 'only records by this author' },
  ],
  async run(ctx, _args, opts: { patient?: string; author?: string }) {
    const { resolveAddress } = await import('../../identity/resolve.js');
    const { chainFor } = await import('../../session/chain.js');
    const { listRecords } = await import('../../chain/records.js');
    const { typeName } = await import('../../record-types.js');
    const chain = await chainFor(ctx);
    const patient = opts.patient ? await resolveAddress(ctx, opts.patient) : opts.author ? undefined : ctx.profile().address;
    const author = opts.author ? await resolveAddress(ctx, opts.author) : undefined;
    const list = await listRecords(chain, { patient, author });
    const records = list.map((r) => ({
      id: r.id.toString(),
      cid: r.cid,
      patient: r.patient,
      author: r.author,
      type: typeName(r.recordType),
      txHash: r.txHash,
      createdAt: new Date(r.createdAt * 1000).toISOString(),
      rekeyed: r.rekeyCount > 0,
    }));
    const name = (a: string) => ctx.profiles.byAddress(a)?.name ?? a.slice(0, 10) + '…';
    return {
      data: { records },
      view: { table: { columns: ['ID', 'CREATED', 'TYPE', 'PATIENT', 'AUTHOR', 'CID'], rows: records.map((r) => [r.id, r.createdAt.replace('.000Z', 'Z'), r.type, name(r.patient), name(r.author), r.cid]) } },
    };
  },
});
