/**
 * Re-keying (docs/SHARING.md § 3.3–3.7): re-encrypt a record's signed bundle under a fresh
 * file key for exactly the parties who may read it now, store it, and point the chain at
 * the new CID. Records that cannot be opened are skipped and reported, never fatal (§ 3.7):
 * one hostile author's garbage must not stop a patient from shutting out a grantee.
 */

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { canRead, grantOf } from '../chain/grants.js';
import { addressTopic, queryEvents } from '../chain/logs.js';
import type { RecordInfo } from '../chain/records.js';
import { rekeyRecord } from '../chain/rekey-record.js';
import type { EmrChain } from '../chain/types.js';
import { whoisForEncryption } from '../chain/whois.js';
import { decryptFile, encryptFile } from '../crypto/age-file.js';
import { parseRecipient } from '../crypto/identity.js';
import { IntegrityError, NotFoundError, UnavailableError } from '../errors.js';
import { failpoint } from '../failpoint.js';
import type { Only } from '../session/index.js';
import { recipientsForRecord } from './recipients.js';

export interface Rekeyed {
  id: string;
  oldCid: string;
  newCid: string;
  txHash: string;
}

/** A record a share or re-key left out, and why (shown on stderr and in `--json` data.skipped[]). */
export interface Skipped {
  id: string;
  reason: string;
}

/**
 * A record the patient cannot open (not an age file, not addressed to them, missing, bad
 * MAC) is skipped; anything else (store or chain unreachable) stops the run, which a retry
 * resumes (§ 3.7).
 */
export function skippable(e: unknown): e is IntegrityError | NotFoundError {
  return e instanceof IntegrityError || e instanceof NotFoundError;
}

/**
 * Live record-scoped readers (§ 3.6): providers whose `RecordsGranted` of the current epoch
 * names the record and who `canRead` it now. A re-key encrypts to them too, so a re-key for
 * one grantee never takes access away from another.
 */
export async function scopedReaders(
  chain: EmrChain,
  patient: string,
  exclude: string,
): Promise<(r: RecordInfo) => Promise<{ recipients: string[]; warnings: string[] }>> {
  const events = await queryEvents(chain, { names: ['RecordsGranted'], topics: [addressTopic(patient)], fromBlock: chain.fromBlock });
  const byProvider = new Set(events.map((ev) => (ev.args[1] as string).toLowerCase()).filter((p) => p !== exclude.toLowerCase()));
  // Keep only providers whose grant slot still has record grants of a live epoch; the exact
  // per-record answer comes from canRead below (epoch, expiry, suspension).
  const live: Array<{ provider: string; ids: Set<string>; recipient: string }> = [];
  const warnings: string[] = [];
  for (const provider of byProvider) {
    const current = (await grantOf(chain, patient, provider)).epoch;
    const stamped = events.filter((e) => (e.args[1] as string).toLowerCase() === provider && Number(e.args[4]) === current);
    if (!stamped.length) continue;
    let info: Awaited<ReturnType<typeof whoisForEncryption>>;
    try {
      info = await whoisForEncryption(chain, provider);
    } catch (e) {
      // A changed or disputed key (SHARING.md § 8) leaves that reader out, like a malformed one.
      if (!(e instanceof IntegrityError)) throw e;
      warnings.push(`${provider} left out of re-keyed records: ${e.message}`);
      continue;
    }
    if (!info.recipient) continue;
    try {
      parseRecipient(info.recipient);
    } catch {
      warnings.push(`${provider} has a malformed encryption key: left out of re-keyed records`);
      continue;
    }
    live.push({ provider, ids: new Set(stamped.flatMap((e) => (e.args[2] as bigint[]).map(String))), recipient: info.recipient });
  }
  return async (r) => {
    const out: string[] = [];
    for (const l of live) {
      if (l.ids.has(r.id.toString()) && (await canRead(chain, { reader: l.provider, patient, recordType: r.recordType, recordId: r.id })))
        out.push(l.recipient);
    }
    return { recipients: out, warnings: [...warnings] };
  };
}

/** The author's key for a re-key; a changed or disputed one (SHARING.md § 8) leaves the author out, said once. */
async function authorKey(chain: EmrChain, author: string, fallback: string, warnings: string[]): Promise<string> {
  try {
    return (await whoisForEncryption(chain, author)).recipient ?? fallback;
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    const w = `author ${author} left out of re-keyed records: ${e.message}`;
    if (!warnings.includes(w)) warnings.push(w);
    return fallback;
  }
}

/**
 * Who a re-keyed record is encrypted to now (§ 3.3, § 3.6): what a new record of its type
 * would get (§ 1: the patient, live type readers, the emergency key when the type is
 * emergency-visible), plus the live record-scoped readers of that record, plus the author
 * only while the author may still read it. `exclude` (a provider just revoked) is never a
 * recipient. Warnings (readers left out) are appended to `warnings`, once each.
 */
export async function currentRecipients(
  s: Only<'chain' | 'me'>,
  patient: string,
  exclude: string | null,
  warnings: string[],
): Promise<(r: RecordInfo) => Promise<string[]>> {
  const { chain } = s;
  const same = (a: string, b: string | null) => !!b && a.toLowerCase() === b.toLowerCase();
  const scopedFor = await scopedReaders(chain, patient, exclude ?? patient);
  // One answer per (type, author): thousands of records share a handful of them.
  const memo = new Map<string, ReturnType<typeof recipientsForRecord>>();
  return async (r) => {
    const authorReads =
      !same(r.author, exclude) &&
      !same(r.author, patient) &&
      (await canRead(chain, { reader: r.author, patient, recordType: r.recordType, recordId: r.id }));
    const authorRecipient = authorReads ? await authorKey(chain, r.author, s.me.age.recipient, warnings) : s.me.age.recipient;
    const key = `${r.recordType}|${r.author.toLowerCase()}|${authorRecipient}`;
    if (!memo.has(key)) memo.set(key, recipientsForRecord(chain, { patient, author: r.author, authorRecipient, recordType: r.recordType }));
    const base = await memo.get(key)!;
    const extra = await scopedFor(r);
    for (const w of [...base.warnings, ...extra.warnings]) if (!warnings.includes(w)) warnings.push(w);
    return [...new Set([...base.recipients, ...extra.recipients])];
  };
}

/** Re-encrypts `records` under new file keys for `recipientsFor(r)` and re-points the chain; unopenable records are skipped. */
export async function rekeyRecords(
  s: Only<'chain' | 'store' | 'me' | 'scratch'>,
  records: RecordInfo[],
  recipientsFor: (r: RecordInfo) => Promise<string[]>,
  opts: { resumeHint?: string } = {},
): Promise<{ rekeyed: Rekeyed[]; skipped: Skipped[] }> {
  const rekeyed: Rekeyed[] = [];
  const skipped: Skipped[] = [];
  for (const r of records) {
    const target = join(s.scratch, `rekey-${randomBytes(8).toString('hex')}.age`);
    try {
      const recipients = await recipientsFor(r);
      // The plaintext is the signed bundle: it streams through unchanged (never to disk), so
      // the author's signature still verifies after the re-key (§ 3.3). The whole ciphertext
      // is decrypted (every chunk's tag checked) before anything is stored or sent.
      const pipe = new PassThrough();
      // The decrypt error is the one reported; the encrypting side only sees the stream end
      // (without this listener an unreadable record crashed the process with exit 1).
      pipe.on('error', () => undefined);
      const encrypting = encryptFile({ recipients, input: pipe, output: target });
      try {
        await decryptFile({ identities: [s.me.age.identity], input: s.store.cat(r.cid), output: pipe });
        pipe.end();
      } catch (e) {
        pipe.destroy(e as Error);
        await encrypting.catch(() => undefined);
        throw e;
      }
      await encrypting;
      // Stored and pinned before the chain points at it (§ 1.2); a crash between the two
      // leaves the old CID current, and a retry re-keys the record again (§ 3.7).
      const added = await s.store.add(target);
      await s.store.sync?.(); // STORAGE.md § Durability
      const tx = await rekeyRecord(s.chain, {
        id: r.id,
        cidCodec: added.codec,
        digest: '0x' + Buffer.from(added.digest).toString('hex'),
      });
      rekeyed.push({ id: r.id.toString(), oldCid: r.cid, newCid: added.cid, txHash: tx.txHash });
      // § 3.3: the replaced ciphertext leaves this store, or `store serve` would hand it to a
      // revoked grantee who reads its CID in the chain's history. After the chain moved on:
      // a failure here leaves only the old copy (as before), never a record without bytes.
      await s.store.forget(r.cid).catch(() => undefined);
      failpoint('rekey.after-record'); // TESTING.md § Failpoints
    } catch (e) {
      if (e instanceof UnavailableError && opts.resumeHint) {
        // § 3.7: say how far it got and how to finish; the done records stay done.
        throw new UnavailableError(`${e.message} (${rekeyed.length} of ${records.length} record(s) re-keyed before it stopped)`, {
          hint: opts.resumeHint,
          cause: e,
        });
      }
      if (!skippable(e)) throw e;
      skipped.push({ id: r.id.toString(), reason: (e as Error).message });
    } finally {
      rmSync(target, { force: true });
    }
  }
  return { rekeyed, skipped };
}
