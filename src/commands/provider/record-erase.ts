/**
 * `emr record erase <id> [--reason <text>]` (docs/CLI.md § record erase; CONTRACT.md
 * § Erasure): the patient tombstones a record on chain and removes its bytes from every
 * store this site controls, then says which copies are out of reach.
 */
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const recordErase = defineCommand({
  name: 'erase',
  summary: 'erase one of your records (the patient; tombstone on chain, bytes removed here; final)',
  args: ['<id>'],
  options: [{ flags: '--reason <text>', description: 'why (at most 400 bytes; sealed to you on chain, never in clear)' }],
  examples: ['emr record erase 42', 'emr record erase 42 --reason "asked under GDPR Art. 17" --json'],
  async run(ctx, [idArg]: [string], opts: { reason?: string }) {
    if (!/^\d+$/.test(idArg) || BigInt(idArg) === 0n) throw new UsageError(`not a record id: ${idArg}`, { hint: 'see `emr record list`' });
    const [{ openSession }, { eraseRecordFlow }, { checkEraseReason }, { printable }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/erase-record.js'),
      import('../../records/erase-reason.js'),
      import('../../records/clinical.js'),
    ]);
    checkEraseReason(opts.reason ?? '');
    const s = await openSession(ctx, { signer: true });
    if (
      ctx.interactive &&
      !(await s.confirm(`Erase record ${idArg}? Its bytes leave this site's stores for good; the chain keeps a tombstone.`))
    )
      throw new UsageError('not erased', { hint: 'pass --yes to erase without asking' });
    const d = await eraseRecordFlow(s, BigInt(idArg), opts.reason ?? '');
    const who = (a: string) => ctx.label(a, 'withAddress');
    const o = d.outOfReach;
    return {
      data: d,
      view: {
        title: `${d.alreadyErased ? 'Already erased' : 'Erased'} record ${d.id} (${d.type}) of ${who(d.patient)} on ${d.erasedAt}`,
        fields: [
          ['reason', d.reason === null ? '(unreadable)' : printable(d.reason) || '(none)'],
          ['tx', d.txHash],
          ...d.stores.map((st): [string, string] => [
            `store ${st.node}`,
            `${st.removed.length} of ${d.cids.length + d.deliveries.filter((x) => x.forgotten).length} CID(s) removed`,
          ]),
          ['deliveries forgotten', String(d.deliveries.filter((x) => x.forgotten).length)],
          ['caches dropped', d.caches.join(', ') || 'none'],
        ],
        lines: [
          'Out of reach (erasure cannot recall these; see CONTRACT.md § Erasure):',
          `  fetched by (receipts): ${o.fetchedBy.map((f) => who(f.address)).join(', ') || 'none on chain (receipts are voluntary)'}`,
          `  may hold a key: ${o.keysTo.map((h) => `${who(h.address)} [${h.how.join(', ')}]`).join('; ') || 'nobody but you'}`,
          ...d.deliveries.filter((x) => !x.forgotten).map((x) => `  kept delivery to ${who(x.provider)}: ${x.why}`),
          ...o.otherSites.map((x) => `  ${x.name}: ${x.why}`),
        ],
      },
    };
  },
});
