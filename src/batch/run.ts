/**
 * The batch pipeline (MANIFEST.md § 5): encrypt + store rows concurrently (bounded), and
 * register stored rows on chain in batches, one transaction at a time from one signer.
 * A batch the contract refuses is bisected to the rows at fault. Infrastructure failures
 * (chain or store unreachable, integrity) stop the job: nothing more is started, every
 * finished step is in the journal, and `--resume` continues from there.
 */

import { type AccountInfo, whoisForEncryption } from '../chain/whois.js';
import { fastTypedDataSigner } from '../crypto/typed-data-signer.js';
import { type EmrError, isEmrError, toEmrError } from '../errors.js';
import type { AddSession } from '../records/add.js';
import { prepareRecord } from '../records/add.js';
import { recipientsForRecord } from '../records/recipients.js';
import { EncryptPool } from './encrypt-pool.js';
import { FhirParts } from './fhir-parts.js';
import type { Journal, JournalState, StoredEvent } from './journal.js';
import { recoverInflight } from './recover.js';
import { type BatchEntry, sendBatch, type WaitOptions } from './send-batch.js';
import type { ValidRow } from './validate.js';

export type RowStatus = 'added' | 'already-done' | 'invalid' | 'failed' | 'pending';

export type BatchPhase = 'validating' | 'unlocking' | 'encrypting' | 'sending' | 'confirming';

export interface RowResult {
  line: number;
  file: string;
  /** The manifest's title (a FHIR row's inferred one is `fhir.title`). */
  title?: string;
  patient: string;
  type: string;
  status: RowStatus;
  id?: string;
  cid?: string;
  txHash?: string;
  error?: { code: string; message: string };
  meta?: Record<string, string>;
  /** With several --ipfs-api: the nodes holding it pinned, before it was registered (STORAGE.md § "Replicas"). */
  pinnedOn?: string[];
  /** A record of a FHIR row (MANIFEST.md § 3.2): its inferred title, date of care and resources. */
  fhir?: { title?: string; date: string | null; resources: { resourceType: string; id?: string }[] };
}

export type BatchEvent =
  | { event: 'start'; total: number; todo: number; done: number }
  /**
   * What the job is doing (issue 22 point 2): `validating` and `unlocking` before the first
   * row, `encrypting` (each row is encrypted then stored: `stored` per row), `sending` and
   * `confirming` per transaction (`records` in it).
   */
  | { event: 'phase'; phase: BatchPhase; records?: number; txHash?: string }
  | { event: 'stored'; line: number; cid: string }
  | { event: 'tx'; txHash: string; records: number; gasUsed: string }
  | { event: 'row'; line: number; status: RowStatus; id?: string; error?: string }
  | { event: 'stopped'; code: string; message: string };

/** One run of a job: its journal and how hard to push (the session is runBatch's first argument). */
export interface BatchRun {
  journal: Journal;
  state: JournalState;
  concurrency: number;
  batchSize: number;
  /** Encryption worker threads (0: encrypt on the main thread). */
  workers?: number;
  wait?: WaitOptions;
  onEvent?(e: BatchEvent): void;
  /** Aborted (reason: an EmrError) → stop like an infrastructure failure: start nothing new, finish and journal what runs (MANIFEST.md § 6.5). */
  signal?: AbortSignal;
}

export interface BatchOutcome {
  /** One result per valid row, in manifest order. */
  rows: RowResult[];
  /** The failure that stopped the job early (UNAVAILABLE, INTEGRITY, INTERNAL), if any. */
  stopped?: EmrError;
  /** Transactions this run mined, with their gas. */
  txs: Array<{ txHash: string; records: number; gasUsed: bigint }>;
  /** Readers left out of the recipients (SHARING.md § 1.5), once per (patient, type): "patient P, type T: …". */
  warnings: string[];
}

/**
 * Rows up to this size are encrypted and stored in memory, without a temporary file; at
 * most `concurrency` (≤ 64) of them at once, plaintext + ciphertext: ≤ 128 MiB worst case.
 */
const IN_MEMORY_MAX = 1 << 20;

/** (patient, type) recipient lookups in flight at once. */
const RECIPIENT_PREFETCH = 8;

/** Failures of the row itself; anything else is the system's and stops the job. */
function isRowFault(e: EmrError): boolean {
  return e.code === 'USAGE' || e.code === 'ACCESS_DENIED' || e.code === 'NOT_FOUND';
}

export async function runBatch(s: AddSession, run: BatchRun, rows: readonly ValidRow[]): Promise<BatchOutcome> {
  const { journal, state } = run;
  const author = s.me.profile.address;
  const results = new Map<string, RowResult>();
  const base = (r: ValidRow): RowResult => ({
    line: r.line,
    file: r.fileName,
    ...(r.title !== undefined && !r.fhir ? { title: r.title } : {}),
    patient: r.patientAddress,
    type: r.type,
    status: 'pending',
    ...(Object.keys(r.meta).length ? { meta: r.meta } : {}),
    ...(r.fhir
      ? { fhir: { ...(r.title !== undefined ? { title: r.title } : {}), date: r.fhir.careDate ?? null, resources: r.fhir.resources } }
      : {}),
  });
  for (const r of rows) results.set(r.key, base(r));
  const emit = (e: BatchEvent) => run.onEvent?.(e);
  const finish = (key: string, patch: Partial<RowResult>) => {
    const res = results.get(key);
    if (!res) return;
    Object.assign(res, patch);
    emit({
      event: 'row',
      line: res.line,
      status: res.status,
      ...(res.id ? { id: res.id } : {}),
      ...(res.error ? { error: res.error.message } : {}),
    });
  };
  const txs: BatchOutcome['txs'] = [];

  // 1. Settle what a killed run left in flight (never send before this).
  const recovered = await recoverInflight(s.chain, journal, state, author, run.wait);
  // Done by an earlier run: confirmed then, and the chain still holds it (§ 6.2 step 0).
  const lost = new Set(recovered.lost);
  const already = new Set([...state.confirmed.keys()].filter((k) => !lost.has(k)));
  // This journal's confirmations after recovery, plus those of the home's other journals
  // (batch-add put them in `state`) that the chain still holds.
  const confirmed = new Map(recovered.state.confirmed);
  for (const [k, v] of state.confirmed) if (!lost.has(k) && !confirmed.has(k)) confirmed.set(k, v);

  const todo: ValidRow[] = [];
  const ready: StoredEvent[] = [];
  for (const r of rows) {
    const c = confirmed.get(r.key);
    const stored = state.stored.get(r.key);
    if (c) {
      finish(r.key, {
        status: already.has(r.key) ? 'already-done' : 'added',
        id: c.id,
        txHash: c.txHash,
        ...(stored ? { cid: stored.cid } : {}),
        ...(stored?.pinnedOn ? { pinnedOn: stored.pinnedOn } : {}),
      });
    } else if (stored && (await storedWhole(s, stored.cid))) {
      // Stored by an earlier run: register the journaled CID, never re-encrypt.
      results.get(r.key)!.cid = stored.cid;
      if (stored.pinnedOn) results.get(r.key)!.pinnedOn = stored.pinnedOn;
      ready.push(stored);
    } else {
      todo.push(r);
    }
  }
  emit({ event: 'start', total: rows.length, todo: todo.length + ready.length, done: rows.length - todo.length - ready.length });
  if (todo.length) emit({ event: 'phase', phase: 'encrypting', records: todo.length });

  let stopped: EmrError | undefined;
  const stop = (e: unknown) => {
    const err = toEmrError(e);
    if (!stopped) {
      stopped = err;
      emit({ event: 'stopped', code: err.code, message: err.message });
    }
  };

  if (run.signal) {
    const signal = run.signal;
    if (signal.aborted) stop(signal.reason);
    else signal.addEventListener('abort', () => stop(signal.reason), { once: true });
  }

  // 2. Registration: one transaction at a time; a refused batch is bisected.
  const register = async (entries: StoredEvent[]): Promise<void> => {
    if (stopped || entries.length === 0) return;
    const batch: BatchEntry[] = entries.map((s) => ({
      key: s.key,
      patient: s.patient,
      recordType: s.recordType,
      cidCodec: s.cidCodec,
      digest: s.digest,
    }));
    try {
      emit({ event: 'phase', phase: 'sending', records: batch.length });
      const mined = await sendBatch(s.chain, journal, batch, run.wait, (txHash) =>
        emit({ event: 'phase', phase: 'confirming', records: batch.length, txHash }),
      );
      txs.push({ txHash: mined.txHash, records: batch.length, gasUsed: mined.gasUsed });
      emit({ event: 'tx', txHash: mined.txHash, records: batch.length, gasUsed: mined.gasUsed.toString() });
      for (const [key, id] of mined.ids) finish(key, { status: 'added', id, txHash: mined.txHash });
    } catch (e) {
      const err = toEmrError(e);
      if (!isRowFault(err)) return stop(err);
      if (entries.length === 1) {
        const row = entries[0]!;
        journal.append({ ev: 'failed', key: row.key, line: row.line, code: err.code, reason: err.message });
        finish(row.key, { status: 'failed', error: { code: err.code, message: err.message } });
        return;
      }
      const mid = entries.length >> 1;
      await register(entries.slice(0, mid));
      await register(entries.slice(mid));
    }
  };
  let sending: Promise<void> = Promise.resolve();
  const flush = (all: boolean) => {
    while (ready.length >= run.batchSize || (all && ready.length > 0)) {
      // Same-patient entries adjacent: the contract re-checks authorisation only on change (CONTRACT.md § Batch format).
      const batch = ready
        .splice(0, run.batchSize)
        .sort((a, b) => (a.patient === b.patient ? a.recordType - b.recordType : a.patient < b.patient ? -1 : 1));
      // MANIFEST.md § 6.1: the bytes of every row in the transaction are durable before
      // its `tx` line is written and it is broadcast (one sync per chunk, not an fsync per file).
      sending = sending
        .then(async () => {
          if (stopped) return;
          await s.store.sync?.();
          await register(batch);
        })
        .catch(stop);
    }
  };
  flush(false);

  // 3. Encryption + storage, `concurrency` rows at a time; recipients asked once per (patient, type).
  const recipients = new Map<string, Promise<string[]>>();
  // The patient's key, checked once per patient for all its types (whoisForEncryption).
  const patients = new Map<string, Promise<AccountInfo>>();
  const patientInfo = (address: string) => {
    let p = patients.get(address);
    if (!p) {
      p = whoisForEncryption(s.chain, address);
      p.catch(() => undefined); // handled by each pair that awaits it
      patients.set(address, p);
    }
    return p;
  };
  const warnings: string[] = [];
  const recipientsFor = (r: ValidRow) => {
    const k = `${r.patientAddress}/${r.recordType}`;
    let p = recipients.get(k);
    if (!p) {
      p = recipientsForRecord(s.chain, {
        patient: r.patientAddress,
        author,
        authorRecipient: s.me.age.recipient,
        recordType: r.recordType,
        patientInfo: patientInfo(r.patientAddress),
      }).then((x) => {
        // A reader skipped never blocks a row, but the job says so (SHARING.md § 1.5).
        for (const m of x.warnings) warnings.push(`patient ${r.patientAddress}, type ${r.type}: ${m}`);
        return x.recipients;
      });
      // Handled where it is awaited (the row's worker); a prefetch alone must not leave it unhandled.
      p.catch(() => undefined);
      recipients.set(k, p);
    }
    return p;
  };
  // Ask for every (patient, type) up front, a few at a time: concurrent calls share ethers'
  // JSON-RPC batches, where a worker asking alone waits out a batch window per call
  // (~5 calls per pair). Bounded so a remote node sees no burst.
  const pairs = [...new Map(todo.map((r) => [`${r.patientAddress}/${r.recordType}`, r])).values()];
  let nextPair = 0;
  const prefetch = async () => {
    while (!stopped && nextPair < pairs.length) await recipientsFor(pairs[nextPair++]!).catch(() => undefined);
  };
  const prefetching = Promise.all(Array.from({ length: Math.min(RECIPIENT_PREFETCH, pairs.length) }, prefetch));
  const fhirParts = new FhirParts(todo);
  const signer = fastTypedDataSigner(await s.me.wallet());
  const workers = run.workers ?? 0;
  const pool = workers > 0 ? new EncryptPool(s.me.privateKey, workers) : undefined;
  let next = 0;
  const worker = async () => {
    while (!stopped && next < todo.length) {
      const r = todo[next++]!;
      try {
        const to = await recipientsFor(r);
        if (stopped) return;
        journal.append({ ev: 'store', key: r.key, line: r.line });
        const content = r.fhir ? await fhirParts.take(r) : undefined;
        const rf = {
          file: r.fhir?.name ?? r.file,
          type: r.type,
          title: r.title,
          mediaType: r.mediaType,
          ...(content ? { content } : {}),
          ...(r.clinical ? { clinical: r.clinical } : {}),
        };
        const p = await prepareRecord(s, r.patientAddress, rf, {
          slot: r.recordType,
          recipients: to,
          pending: false,
          inMemoryMax: IN_MEMORY_MAX,
          signer,
          expectSha256: r.sha256,
          displayName: r.fileName,
          ...(pool ? { encrypt: (req) => pool.encrypt(req) } : {}),
        });
        const ev: StoredEvent = {
          ev: 'stored',
          key: r.key,
          line: r.line,
          patient: r.patientAddress,
          recordType: r.recordType,
          cid: p.cid,
          cidCodec: p.cidCodec,
          digest: p.digest,
          sha256: p.sha256,
          size: p.size,
          ...(p.pinnedOn ? { pinnedOn: p.pinnedOn } : {}),
        };
        journal.append(ev);
        results.get(r.key)!.cid = p.cid;
        if (p.pinnedOn) results.get(r.key)!.pinnedOn = p.pinnedOn;
        emit({ event: 'stored', line: r.line, cid: p.cid });
        if (stopped) return;
        ready.push(ev);
        flush(false);
      } catch (e) {
        const err = toEmrError(e);
        if (isEmrError(err) && isRowFault(err)) {
          journal.append({ ev: 'failed', key: r.key, line: r.line, code: err.code, reason: err.message });
          finish(r.key, { status: 'failed', error: { code: err.code, message: err.message } });
        } else {
          stop(err);
        }
      }
    }
  };
  // One writer token for the whole phase (STORAGE.md § Unpin, garbage collection and
  // erasure): a `store gc` meanwhile refuses instead of finding none between two rows, and
  // the token is written once, not each time the concurrent adds happened to drain.
  const encryptAll = async () => {
    await Promise.all(Array.from({ length: Math.max(1, run.concurrency) }, worker));
    await prefetching;
  };
  try {
    await (s.store.writing ? s.store.writing(encryptAll) : encryptAll());
  } finally {
    await pool?.close();
  }
  if (!stopped) flush(true);
  await sending;
  journal.sync();
  return { rows: rows.map((r) => results.get(r.key)!), ...(stopped ? { stopped } : {}), txs, warnings };
}

/**
 * A row an earlier run journaled `stored` is registered with its CID only when its every
 * block is here and matches its CID (MANIFEST.md § 6.2): a power loss can leave the journal
 * line durable and a block file empty or torn (the store's bytes become durable at the
 * chunk's sync, the line maybe earlier). Anything less, and the row is encrypted again.
 * An unreachable store is the system's failure and stops the job.
 */
async function storedWhole(s: AddSession, cid: string): Promise<boolean> {
  if (!(await s.store.has(cid))) return false;
  try {
    for await (const _ of s.store.cat(cid)) void _;
    return true;
  } catch (e) {
    const err = toEmrError(e);
    if (err.code === 'INTEGRITY' || err.code === 'NOT_FOUND') return false;
    throw err;
  }
}
