/**
 * `emr verify <recordId|file>` (docs/CLI.md § Records): the pharmacist's check — the author's
 * signature, and that the author was a verified provider (or the patient) when the record
 * was signed. Exit 4 when either fails. Writes no plaintext anywhere.
 */
import { existsSync } from 'node:fs';
import { IntegrityError, UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const verify = defineCommand({
  name: 'verify',
  summary: 'check who signed a record or bundle file, and that they were allowed to',
  args: ['<recordIdOrFile>'],
  async run(ctx, [target]: [string]) {
    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { authorityAt } = await import('../../records/authority.js');
    const me = await unlock(ctx);
    const isId = /^\d+$/.test(target) && !existsSync(target);
    let author: string, patient: string, signedAt: number, sha256: string, type: string, title: string | null;
    let chain;
    if (isId) {
      const { storeFor } = await import('../../session/store.js');
      const { getRecord } = await import('../../chain/records.js');
      const { checkReadAccess, openRecord } = await import('../../records/fetch.js');
      chain = await chainFor(ctx);
      const rec = await getRecord(chain, BigInt(target));
      await checkReadAccess(chain, me.profile.address, rec);
      const r = await openRecord({ chain, store: await storeFor(ctx), me }, rec, null);
      ({ author, patient, sha256, type, title } = r);
      signedAt = Date.parse(r.createdAt!) / 1000;
    } else {
      if (!existsSync(target)) throw new UsageError(`no record id or file '${target}'`, { hint: 'give a record id from `emr record list` or a bundle file' });
      const { verifyBundle } = await import('../../crypto/bundle.js');
      const res = await verifyBundle({ input: target, identities: [me.age.identity] });
      if (!res.signed) throw new IntegrityError(`${target} is not signed`, { hint: 'it is a plain age file, not an emr bundle: nobody vouches for its author' });
      author = res.author;
      patient = res.metadata.patient;
      signedAt = res.metadata.createdAt;
      sha256 = res.sha256;
      type = res.metadata.type;
      title = res.metadata.title ?? null;
      chain = await chainFor(ctx);
    }
    const auth = await authorityAt(chain, author, patient, signedAt);
    const data = { target, signatureValid: true, author, patient, type, title, sha256, signedAt: new Date(signedAt * 1000).toISOString(), authorAuthorized: auth.ok, authority: auth.reason };
    if (!auth.ok) {
      return {
        data,
        failure: new IntegrityError(`signed by ${author}, who was not a verified provider then (${auth.reason})`, { hint: 'do not rely on this record; ask the patient or the consortium' }),
        view: { fields: [['signature', 'valid'], ['author', author], ['authority', auth.reason]] },
      };
    }
    const name = ctx.profiles.byAddress(author)?.name;
    return {
      data,
      view: {
        title: `Verified: signed by ${author}${name ? ` (${name})` : ''}`,
        fields: [['authority', auth.reason === 'patient' ? 'the patient themself' : 'a verified provider at signing time'], ['patient', patient], ['type', type], ['title', title], ['signed at', data.signedAt], ['sha256', sha256]],
      },
    };
  },
});
