/**
 * `emr record add` (docs/CLI.md § Records; docs/SHARING.md § 1): check the author may write,
 * encrypt to the patient + author + live readers, sign, store and pin on IPFS, then
 * register on chain. Order matters: nothing is registered unless its bytes are stored and
 * pinned; a retry of the same content reuses the stored CID and never registers it twice.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { addRecord } from '../chain/add-record.js';
import { addRecords } from '../chain/add-records.js';
import { addressTopic, queryEvents } from '../chain/logs.js';
import type { RecordMeta } from '../crypto/bundle.js';
import { encryptBundle } from '../crypto/bundle.js';
import type { SigningDomain, TypedDataSigner } from '../crypto/bundle-signature.js';
import type { Input } from '../crypto/io.js';
import { inputFileError, UsageError } from '../errors.js';
import { failpoint } from '../failpoint.js';
import { RECORD_TYPES, typeIndex } from '../record-types.js';
import type { Only } from '../session/index.js';
import { mediaTypeOf } from './media-type.js';
import { PendingRecords, pendingKey } from './pending.js';
import { assertCanWrite, recipientsForRecord } from './recipients.js';
import type { RecordRef } from './record-ref.js';
import { writableSlot } from './type-keys.js';

export interface RecordFile {
  file: string;
  type: string;
  title?: string;
  mediaType?: string;
  /** The content, when it is not the file itself (one resource of a FHIR Bundle; docs/FHIR.md § 3). */
  content?: Uint8Array;
  /** Signed clinical metadata (docs/FORMAT.md § 3.4). */
  clinical?: ClinicalMeta;
}

/** The version-2 metadata fields a caller may set (docs/FORMAT.md § 3.4). */
export type ClinicalMeta = Partial<
  Pick<RecordMeta, 'fhir' | 'careDate' | 'supersedes' | 'facility' | 'encounterStart' | 'encounterEnd' | 'mrn' | 'org'>
>;

export interface PreparedRecord {
  file: string;
  patient: string;
  author: string;
  type: string;
  recordType: number;
  cid: string;
  cidCodec: number;
  digest: string;
  sha256: string;
  size: number;
  pendingKey: string;
  recipients: number;
  /** Readers left out of the recipients, and why (SHARING.md § 1.5). */
  warnings?: string[];
  /** With several --ipfs-api: the nodes that hold it pinned (STORAGE.md § "Replicas"). */
  pinnedOn?: string[];
  /**
   * Reused from an earlier attempt's pending entry: it may already be on chain. A fresh
   * ciphertext (new random file key, so a new CID) cannot be, and needs no chain lookup.
   */
  resumed?: boolean;
}

export interface AddedRecord extends RecordRef {
  sha256: string;
  /** True when a retry found the record already registered (nothing sent). */
  existing?: boolean;
  /** Readers left out of the recipients, and why (SHARING.md § 1.5). */
  warnings?: string[];
}

/** The session fields adding a record reads: a command's session, or one demo actor's. */
export type AddSession = Only<'home' | 'chain' | 'store' | 'me' | 'scratch' | 'now'>;

export function checkType(type: string): number {
  const i = typeIndex(type);
  if (i === undefined) throw new UsageError(`unknown record type '${type}'`, { hint: `one of: ${RECORD_TYPES.join(', ')}` });
  return i;
}

export interface PrepareOptions {
  /** The type's slot for this patient, when the caller already mapped it (CONTRACT.md § Privacy). */
  slot?: number;
  /**
   * The age recipients, when the caller already knows them (a batch asks the chain once
   * per patient and type, not per row). Default: asked from the chain.
   */
  recipients?: readonly string[];
  /**
   * Use the <home>/pending retry journal (default true). A batch keeps its own journal
   * (docs/MANIFEST.md § 6) and turns this off.
   */
  pending?: boolean;
  /**
   * Files up to this many bytes are read, encrypted and stored in memory (`store.addBytes`)
   * instead of through a temporary ciphertext file: a batch of small records spends more
   * on the file round trip than on the encryption. Default 0: always the temporary file.
   */
  inMemoryMax?: number;
  /** Signs the bundle instead of the profile's ethers Wallet (a batch passes a faster one). */
  signer?: TypedDataSigner;
  /**
   * The plaintext's SHA-256 (hex) the caller validated (a batch hashed the row's file before
   * the job). Other bytes read now (the file was rewritten, or swapped for a symlink to
   * another file) are refused before anything is stored (MANIFEST.md § 3.1).
   */
  expectSha256?: string;
  /** The file's name in that refusal. */
  displayName?: string;
  /**
   * Signs and encrypts an in-memory record elsewhere (a batch's worker threads), with the
   * same `encryptBundle`; used only for files within `inMemoryMax`.
   */
  encrypt?: (r: {
    plaintext: Uint8Array;
    recipients: string[];
    meta: RecordMeta;
    domain: SigningDomain;
  }) => Promise<{ ciphertext: Uint8Array; sha256: string; size: number }>;
}

/** Encrypts, signs and stores one record; registers nothing. */
/** A batch row's file no longer holds the bytes validation hashed (MANIFEST.md § 3.1). */
export function fileChangedError(name: string): UsageError {
  return new UsageError(`file ${name} changed while the batch ran`, { hint: 'fix the file and run again with --resume' });
}

export async function prepareRecord(s: AddSession, patient: string, rf: RecordFile, opts: PrepareOptions = {}): Promise<PreparedRecord> {
  checkType(rf.type);
  // On chain only the patient's secret slot of the type (CONTRACT.md § Privacy).
  const recordType = opts.slot ?? (await writableSlot(s, patient, rf.type));
  let size: number;
  try {
    if (rf.content) size = rf.content.length;
    else {
      const st = statSync(rf.file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    }
  } catch (e) {
    throw inputFileError(rf.file, e);
  }
  const author = s.me.profile.address;
  const chosen = opts.recipients
    ? undefined
    : await recipientsForRecord(s.chain, { patient, author, authorRecipient: s.me.age.recipient, recordType });
  const recipients = opts.recipients ? [...opts.recipients] : chosen!.recipients;
  const warnings = chosen?.warnings.length ? { warnings: chosen.warnings } : {};
  const usePending = opts.pending ?? true;
  const inMemory = rf.content !== undefined || (opts.inMemoryMax !== undefined && size <= opts.inMemoryMax);
  const tmp = join(s.scratch, `record-${randomBytes(8).toString('hex')}.age`);
  const ciphertext: Buffer[] = [];
  let plaintext: Buffer | undefined;
  try {
    let input: Input = rf.file;
    if (inMemory) {
      try {
        // Synchronous: at most `inMemoryMax` bytes, and fs/promises costs four thread-pool
        // round trips per file (open, fstat, read, close), more than a small file's read.
        plaintext = rf.content ? Buffer.from(rf.content) : readFileSync(rf.file);
      } catch (e) {
        throw inputFileError(rf.file, e);
      }
      const bytes = plaintext;
      input = (async function* () {
        yield bytes;
      })();
    }
    const meta: RecordMeta = {
      patient,
      author,
      type: rf.type,
      title: rf.title,
      fileName: basename(rf.file),
      mediaType: rf.mediaType ?? mediaTypeOf(rf.file),
      createdAt: Math.floor(s.now().getTime() / 1000),
      ...rf.clinical,
    };
    // Bound to this chain and contract (docs/FORMAT.md § 4): a signature cannot be
    // replayed into another deployment.
    const domain: SigningDomain = { chainId: s.chain.chainId, verifyingContract: s.chain.address };
    let res: { sha256: string; size: number };
    if (inMemory && opts.encrypt && !rf.content) {
      const out = await opts.encrypt({ plaintext: plaintext!, recipients, meta, domain });
      ciphertext.push(Buffer.from(out.ciphertext.buffer, out.ciphertext.byteOffset, out.ciphertext.byteLength));
      res = out;
    } else {
      res = await encryptBundle({
        input,
        output: inMemory ? memorySink(ciphertext) : tmp,
        recipients,
        meta,
        signer: opts.signer ?? s.me.signer,
        domain,
      });
    }
    if (opts.expectSha256 !== undefined && res.sha256 !== opts.expectSha256) {
      // Checked before the store sees a byte: what was read is not what was validated
      // (and confined), so its ciphertext must not be stored either.
      throw fileChangedError(opts.displayName ?? basename(rf.file));
    }
    const key = pendingKey({ patient, author, type: rf.type, sha256: res.sha256, title: rf.title });
    const pending = usePending ? new PendingRecords(s.home) : undefined;
    const earlier = pending?.get(key);
    if (earlier && (await s.store.has(earlier.cid))) {
      // A previous attempt stored this content but may not have registered it: reuse it.
      return {
        file: rf.file,
        patient,
        author,
        type: rf.type,
        recordType,
        ...earlier,
        pendingKey: key,
        recipients: recipients.length,
        resumed: true,
        ...warnings,
      };
    }
    const added = inMemory ? await s.store.addBytes(Buffer.concat(ciphertext)) : await s.store.add(tmp);
    const rec: PreparedRecord = {
      file: rf.file,
      patient,
      author,
      type: rf.type,
      recordType,
      cid: added.cid,
      cidCodec: added.codec,
      digest: '0x' + Buffer.from(added.digest).toString('hex'),
      sha256: res.sha256,
      size: res.size,
      pendingKey: key,
      recipients: recipients.length,
      ...warnings,
      ...('pinnedOn' in added && Array.isArray(added.pinnedOn) ? { pinnedOn: added.pinnedOn as string[] } : {}),
    };
    pending?.put(key, {
      cid: rec.cid,
      cidCodec: rec.cidCodec,
      digest: rec.digest,
      sha256: rec.sha256,
      size: rec.size,
      storedAt: s.now().toISOString(),
    });
    failpoint('record-add.after-store'); // TESTING.md § Failpoints
    return rec;
  } finally {
    plaintext?.fill(0);
    if (!inMemory) rmSync(tmp, { force: true });
  }
}

/** A Writable that keeps what is written (ciphertext only: nothing secret is held). */
function memorySink(parts: Buffer[]): NodeJS.WritableStream {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
}

/** Registers prepared records (one tx; a batch when several), skipping any already on chain. */
export async function registerPrepared(s: AddSession, prepared: PreparedRecord[]): Promise<AddedRecord[]> {
  const pending = new PendingRecords(s.home);
  const out = new Map<PreparedRecord, AddedRecord>();
  // Registered by an earlier attempt whose confirmation we never saw? Only resumed records
  // can be; one log query per (patient, author), not a scan of the patient's whole history.
  const resumed = prepared.filter((p) => p.resumed);
  if (resumed.length) {
    const seen = new Map<string, Map<string, { id: bigint; txHash: string }>>();
    for (const p of resumed) {
      const k = `${p.patient}/${p.author}`.toLowerCase();
      if (!seen.has(k)) {
        const evs = await queryEvents(s.chain, {
          names: ['RecordAdded'],
          topics: [null, addressTopic(p.patient), addressTopic(p.author)],
          fromBlock: s.chain.fromBlock,
        });
        seen.set(k, new Map(evs.map((e) => [String(e.args[5]).toLowerCase(), { id: e.args[0] as bigint, txHash: e.txHash }])));
      }
      const hit = seen.get(k)!.get(p.digest.toLowerCase());
      if (hit)
        out.set(p, {
          id: hit.id.toString(),
          cid: p.cid,
          patient: p.patient,
          author: p.author,
          type: p.type,
          txHash: hit.txHash,
          sha256: p.sha256,
          existing: true,
        });
    }
  }
  const todo = prepared.filter((p) => !out.has(p));
  // STORAGE.md § Durability: the bytes a transaction names are on disk before it is sent.
  if (todo.length) await s.store.sync?.();
  if (todo.length === 1) {
    const p = todo[0]!;
    const r = await addRecord(s.chain, { patient: p.patient, recordType: p.recordType, cidCodec: p.cidCodec, digest: p.digest });
    out.set(p, { id: r.id.toString(), cid: p.cid, patient: p.patient, author: p.author, type: p.type, txHash: r.txHash, sha256: p.sha256 });
  } else if (todo.length > 1) {
    const r = await addRecords(s.chain, {
      records: todo.map((p) => ({ patient: p.patient, recordType: p.recordType, cidCodec: p.cidCodec, digest: p.digest })),
    });
    todo.forEach((p, i) =>
      out.set(p, {
        id: r.ids[i]!.toString(),
        cid: p.cid,
        patient: p.patient,
        author: p.author,
        type: p.type,
        txHash: r.txHash,
        sha256: p.sha256,
      }),
    );
  }
  for (const p of prepared) pending.done(p.pendingKey);
  return prepared.map((p) => (p.warnings ? { ...out.get(p)!, warnings: p.warnings } : out.get(p)!));
}

export async function addRecordFiles(s: AddSession, patient: string, files: RecordFile[]): Promise<AddedRecord[]> {
  for (const f of files) checkType(f.type);
  const first = files[0];
  if (!first) throw new UsageError('no files given', { hint: 'emr record add <file>... --patient <who>' });
  // Refuse before encrypting anything: a denied author stores nothing.
  for (const t of new Set(files.map((f) => f.type))) {
    await assertCanWrite(s.chain, {
      author: s.me.profile.address,
      patient,
      recordType: await writableSlot(s, patient, t),
      typeName: t,
    });
  }
  const prepared: PreparedRecord[] = [];
  for (const f of files) prepared.push(await prepareRecord(s, patient, f));
  return registerPrepared(s, prepared);
}
