/** `emr record add <file>... --patient <who> [--type] [--title]` (docs/CLI.md § Records). */
import { NotFoundError, UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const recordAdd = defineCommand({
  name: 'add',
  summary: 'encrypt, sign, store and register records for a patient',
  args: ['<file...>'],
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name' },
    { flags: '--type <type>', description: 'record type (see `emr record types`)', default: 'note' },
    { flags: '--title <text>', description: 'a short title (inside the encryption, never on chain)' },
  ],
  examples: ['emr record add lab-2026-11-21.pdf --patient 0xAbc… --type lab --title "CBC panel"'],
  async run(ctx, [files]: [string[]], opts: { patient?: string; type: string; title?: string }) {
    if (!opts.patient) throw new UsageError('missing --patient <who>', { hint: 'the patient the record belongs to: 0x address or profile name' });
    // A missing file is NOT_FOUND (exit 7), found before any passphrase or chain call.
    const { existsSync } = await import('node:fs');
    const missing = files.find((f) => !existsSync(f));
    if (missing !== undefined) throw new NotFoundError(`no such file: ${missing}`, { hint: 'check the path' });
    const { resolveAddress } = await import('../../identity/resolve.js');
    const { checkType, addRecordFiles } = await import('../../records/add.js');
    checkType(opts.type);
    const patient = await resolveAddress(ctx, opts.patient);
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor, scratchDir } = await import('../../session/store.js');
    const { unlock } = await import('../../identity/unlock.js');
    const me = await unlock(ctx);
    const chain = await chainFor(ctx, { signer: true });
    const store = await storeFor(ctx);
    const progress = await ctx.progress(`adding ${files.length} record(s)`);
    try {
      const records = await addRecordFiles(
        { home: ctx.home, chain, store, me, scratch: await scratchDir(ctx), now: () => ctx.clock.now(), crashAt: ctx.env.EMR_TEST_CRASH_AT },
        patient,
        files.map((file) => ({ file, type: opts.type, title: opts.title })),
      );
      progress.succeed(`added ${records.length} record(s)`);
      return {
        data: { records: records.map(({ id, cid, patient, author, type, txHash }) => ({ id, cid, patient, author, type, txHash })) },
        view: {
          table: { columns: ['ID', 'TYPE', 'CID', 'TX'], rows: records.map((r) => [r.id, r.type, r.cid, r.existing ? '(already registered)' : r.txHash]) },
        },
      };
    } catch (e) {
      progress.fail();
      throw e;
    }
  },
});
