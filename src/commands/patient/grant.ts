/**
 * `emr grant <provider> [--types a,b] [--records id,id] [--expires 30d|<ISO>] [--write]`
 * (docs/CLI.md § Sharing): the patient lets a provider read records of these types (and/or these
 * records) until the expiry; the keys of existing records in scope are delivered to the
 * provider alone (docs/SHARING.md § 2). `--write` also lets a verified provider add records
 * of those types for the patient.
 */
import { UsageError } from '../../errors.js';
import { SIGN_ONLY_OPTIONS } from '../signed-output.js';
import { defineCommand } from '../spec.js';
import { grantList } from './grant-list.js';

export function parseTypesList(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

export const grant = defineCommand({
  name: 'grant',
  summary: 'let a provider read your records of some types (or some records) until a date',
  args: ['<provider>'],
  options: [
    { flags: '--types <types>', description: 'comma-separated record types, or "all"' },
    { flags: '--records <ids>', description: 'comma-separated record ids' },
    { flags: '--expires <when>', description: 'a duration (30d, 12h, 2w, 1y) or an ISO date', default: '90d' },
    { flags: '--write', description: 'also allow adding records of these types (verified providers only)' },
    ...SIGN_ONLY_OPTIONS,
  ],
  examples: ['emr grant dr-bob --types lab,imaging --expires 30d', 'emr grant 0xPharmacy… --records 12 --expires 7d', 'emr grant list'],
  subcommands: [grantList],
  async run(ctx, [who]: [string], opts: { types?: string; records?: string; expires: string; write?: boolean; signOnly?: boolean; deadline: string; output?: string }) {
    const { RECORD_TYPES, ALL_TYPES_MASK, typesToMask } = await import('../../record-types.js');
    const types = parseTypesList(opts.types);
    const ids = parseTypesList(opts.records);
    if (!types.length && !ids.length) throw new UsageError('nothing to grant', { hint: 'pass --types a,b (or all) and/or --records id,id' });
    let readMask = 0;
    try {
      readMask = types.includes('all') ? ALL_TYPES_MASK : typesToMask(types);
    } catch (e) {
      throw new UsageError((e as Error).message, { hint: `types: ${RECORD_TYPES.join(', ')}` });
    }
    if (ids.some((i) => !/^\d+$/.test(i))) throw new UsageError('record ids are numbers', { hint: 'e.g. --records 3,7' });
    if (opts.write && !readMask) throw new UsageError('--write needs --types', { hint: 'writing is granted per type' });
    const { parseExpiry } = await import('../../records/expiry.js');
    const expiry = parseExpiry(opts.expires, ctx.clock.now());
    const { resolveAddress } = await import('../../session/resolve.js');
    const provider = await resolveAddress(ctx, who);
    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor, scratchDir } = await import('../../session/store.js');
    const { grantAccess } = await import('../../records/share.js');
    const me = await unlock(ctx);
    // Signing offline needs only reads (nonce, records to deliver keys for): no gas, no funds.
    const chain = await chainFor(ctx, { signer: !opts.signOnly });
    const signOnly = opts.signOnly ? { deadline: parseExpiry(opts.deadline, ctx.clock.now()) } : undefined;
    const res = await grantAccess({ chain, store: await storeFor(ctx), me, scratch: await scratchDir(ctx) }, { provider, readMask, write: !!opts.write, ids: ids.map(BigInt), expiry, signOnly });
    const name = ctx.profiles.byAddress(provider)?.name;
    if (res.signed) {
      const { writeSignedAction } = await import('../signed-output.js');
      const path = writeSignedAction(ctx, res.signed, opts.output);
      return {
        data: { ...res, path },
        view: path === '-' ? {} : { title: `Signed a grant for ${name ?? provider} (not sent)`, fields: [['file', path], ['grant expires', res.expiresAt], ['send it before', new Date(signOnly!.deadline * 1000).toISOString()]], lines: ['Anyone can send it with `emr relay <file>`; you pay no gas.'] },
      };
    }
    return {
      data: { ...res, types: types.includes('all') ? [...RECORD_TYPES] : types, records: ids, write: !!opts.write },
      view: {
        title: `Granted ${name ?? provider} access until ${res.expiresAt}`,
        fields: [
          ['types', types.join(',') || '-'],
          ['records', ids.join(',') || '-'],
          ['write', !!opts.write],
          ['keys delivered', res.keysDelivered.length ? `${res.keysDelivered.length} existing record(s)` : 'none needed'],
          ['tx', res.txHashes.join(', ')],
        ],
        // SHARING.md § 2.6: a record whose key could not be read is named; the rest is shared.
        warnings: [
          ...res.skipped.slice(0, 5).map((s) => `record ${s.id} skipped (its key was not delivered): ${s.reason}`),
          ...(res.skipped.length > 5 ? [`… and ${res.skipped.length - 5} more skipped (use --json for all)`] : []),
        ],
      },
    };
  },
});
