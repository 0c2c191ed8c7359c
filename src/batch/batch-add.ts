/**
 * The `emr batch add` use case (docs/MANIFEST.md): read and validate the whole manifest,
 * open (or resume) its authenticated journal under a lock, run the pipeline (run.ts) with
 * SIGINT/SIGTERM handled, and build the one result document: per-row results, counts and,
 * when any row did not succeed, the error of the first failure class (exit code) as well.
 * The command (src/commands/batch/batch-add.ts) only parses options, opens the session and calls this.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { canWrite } from '../chain/grants.js';
import { whois } from '../chain/whois.js';
import type { Context } from '../context.js';
import {
  type EmrError,
  errorOfCode,
  InterruptedError,
  inputFileError,
  PatientMismatchError,
  UnavailableError,
  UsageError,
} from '../errors.js';
import { failpoint } from '../failpoint.js';
import { acquireLock } from '../lock.js';
import { type CommandResult, safeText, type View } from '../output.js';
import { RECORD_TYPES } from '../record-types.js';
import { PatientIndex } from '../records/patient-index.js';
import { slotsFor } from '../records/type-keys.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { confineRowFile } from './confine.js';
import { defaultPoolSize } from './encrypt-pool.js';
import { checkHeader, confirmedElsewhere, defaultJournalPath, jobHeader, manifestDigest } from './job.js';
import { Journal, journalKey, replay } from './journal.js';
import { type ManifestRow, parseManifest } from './manifest.js';
import { type BatchEvent, type RowResult, runBatch } from './run.js';
import { type RejectedRow, type ValidRow, validateRows } from './validate.js';

export interface BatchAddOptions {
  /** The manifest path as given. */
  manifest: string;
  resume: boolean;
  skipInvalid: boolean;
  allowOutside: boolean;
  journal?: string;
  concurrency: number;
  batchSize: number;
  /** Encryption worker threads; default defaultPoolSize(). */
  workers?: number;
  /** Progress events (MANIFEST.md § 7). */
  onEvent?(e: BatchEvent): void;
  /** stderr carries NDJSON progress: warnings then go only into the document. */
  stderrIsNdjson: boolean;
  /** When the command started (ms), for elapsedMs. */
  started: number;
}

/**
 * MANIFEST.md § 5: a system failure (store or chain gone) stops the job and `--resume`
 * continues it, so the one hint a user sees says both what to fix and how to continue.
 */
function resumable(e: EmrError, journalPath: string): EmrError {
  if (e.hint?.includes('--resume')) return e;
  const hint = `${e.hint ? `${e.hint}; then ` : ''}run again with --resume to continue (journal ${journalPath})`;
  // A bad passphrase or an interruption is not a failure --resume fixes: it keeps its own hint.
  if (e.code === 'BAD_PASSPHRASE' || e.code === 'INTERRUPTED') return e;
  return errorOfCode(e.code, e.message, { hint, cause: e, ...(e.details ? { details: e.details } : {}) });
}

const WARNINGS_JSON_MAX = 100;
const WARNINGS_TERMINAL_MAX = 10;
/**
 * A job stopped by SIGINT/SIGTERM before any row was sent (while validating): the result
 * document all the same, every row "not done" (MANIFEST.md § 6.5; issue 22 point 2).
 */
function interruptedEarly(rows: ManifestRow[], manifest: string, reason: unknown, started: number): CommandResult {
  const lines = [...new Map(rows.map((r) => [r.line, r])).values()];
  const message = 'not done: the job stopped before any row was sent; run it again';
  const data = {
    manifest,
    journal: null,
    rows: lines.map((r) => ({
      line: r.line,
      file: r.fileName || null,
      title: r.title ?? null,
      id: null,
      cid: null,
      patient: null,
      type: r.type || null,
      txHash: null,
      status: 'failed' as const,
      error: { code: 'INTERRUPTED', message },
    })),
    counts: { total: lines.length, added: 0, alreadyDone: 0, invalid: 0, failed: lines.length },
    transactions: 0,
    gasUsed: '0',
    gasPerRecord: null,
    elapsedMs: Date.now() - started,
    warnings: [],
  };
  return {
    data,
    failure: reason as EmrError,
    view: { title: `Interrupted before any row was sent: nothing was started (${lines.length} rows not done)` },
  };
}

/** At most `max` lines, the last saying how many more there were. */
function capped(lines: string[], max: number): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max - 1), `… and ${lines.length - max + 1} more warnings like these`];
}

/** The session: `openSession(ctx, { signer: true, store: true })` (issue 9). */
/**
 * Before any chain, store or passphrase: a batch never prompts, even on a terminal
 * (MANIFEST.md § 8), and a missing manifest is NOT_FOUND (exit 7; docs/CLI.md § Exit codes).
 */
export function checkBatchStart(ctx: Context, manifest: string): void {
  if (!ctx.hasPassphraseSource) {
    throw new UsageError('a batch needs the passphrase from --password-file or the environment', {
      hint: 'pass --password-file <file> (or set EMR_PASSWORD_FILE); batch jobs never prompt',
    });
  }
  try {
    statSync(resolve(manifest));
  } catch (e) {
    throw inputFileError(manifest, e, 'check the path of the manifest');
  }
}

/**
 * `session`: the chain read-only and the store; `signing`: the same session unlocked and
 * signing (session/index.ts `unlockSigner`), started by the caller and awaited only once
 * the manifest is valid, so that validation overlaps the keystore's scrypt.
 */
export async function runBatchAdd(
  session: With<'chain' | 'store'>,
  signing: Promise<With<'me' | 'chain' | 'store'>>,
  o: BatchAddOptions,
): Promise<CommandResult> {
  // MANIFEST.md § 6.5: SIGINT/SIGTERM stop the job cleanly (nothing new started, the
  // journal flushed, one result document, exit 130/143) from the first phase on, also while
  // the manifest is validated and the key unlocked. A second signal kills as usual.
  const interrupt = new AbortController();
  const where = { journal: '' };
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => () =>
    interrupt.abort(
      new InterruptedError(sig, `interrupted by ${sig}`, {
        hint: where.journal
          ? `finished steps are journaled; run again with --resume to continue (journal ${where.journal})`
          : 'stopped before any row was sent: nothing was started; run the same command again',
      }),
    );
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  try {
    return await batchAdd(session, signing, o, { signal: interrupt.signal, where });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    // Settled before the command returns, whatever it returns: no unlock or devnet funding
    // goes on after a refusal (MANIFEST.md § 8; helper-24's review).
    await signing.catch(() => undefined);
  }
}

async function batchAdd(
  session: With<'chain' | 'store'>,
  signing: Promise<With<'me' | 'chain' | 'store'>>,
  o: BatchAddOptions,
  interrupt: { signal: AbortSignal; where: { journal: string } },
): Promise<CommandResult> {
  const { ctx, chain } = session;
  const manifestPath = resolve(o.manifest);
  o.onEvent?.({ event: 'phase', phase: 'validating' });
  failpoint('batch.validating'); // TESTING.md § Failpoints
  let bytes: Buffer;
  try {
    bytes = readFileSync(manifestPath);
  } catch (e) {
    throw inputFileError(o.manifest, e, 'check the path of the manifest');
  }
  const parsed = parseManifest(bytes.toString('utf8'), { path: manifestPath, baseDir: dirname(manifestPath) });

  // The author's address is public (its profile): validation needs no unlocked key. A
  // wrong passphrase stops validation as soon as the unlock knows it (MANIFEST.md § 8).
  const author = ctx.profile().address;
  const unlockFailed = new AbortController();
  signing.catch((e: unknown) => unlockFailed.abort(e));
  const stopped = () => interrupt.signal.aborted && interruptedEarly(parsed.rows, manifestPath, interrupt.signal.reason, o.started);
  let checked: Awaited<ReturnType<typeof validateRows>>;
  try {
    checked = await validateRows(parsed.rows, {
      signal: AbortSignal.any([unlockFailed.signal, interrupt.signal]),
      author,
      resolvePatient: (who) => resolveAddress(ctx, who),
      isRegisteredPatient: async (a) => {
        const w = await whois(chain, a);
        return w.registered && w.role === 'patient' && !!w.recipient;
      },
      // The type's slot is the patient's secret (CONTRACT.md § Privacy): the author maps it with
      // the key its grant delivered, which needs the unlocked identity.
      canWrite: async (patient, recordType) => {
        const slots = await slotsFor(await signing, patient);
        return slots.known && canWrite(chain, { author, patient, recordType: slots.slotOf(RECORD_TYPES[recordType]!) });
      },
      confine: (file) => confineRowFile(file, { baseDir: dirname(manifestPath), home: ctx.home, allowOutside: o.allowOutside }),
    });
  } catch (e) {
    const early = stopped();
    if (early) return early;
    // The store holds the grants' key deliveries (CONTRACT.md § Privacy): one that does not
    // answer stops the job before anything is stored, reported like any store outage.
    if (!(e instanceof UnavailableError)) throw e;
    const total = parsed.rows.length + parsed.problems.length;
    const counts = { total, added: 0, alreadyDone: 0, invalid: 0, failed: 0 };
    return { data: { manifest: manifestPath, journal: null, rows: [], counts }, failure: e, view: { title: 'Nothing was started' } };
  }
  const early = stopped();
  if (early) return early;
  const problems = [...parsed.problems, ...checked.problems].sort((a, b) => a.line - b.line);
  if (checked.valid.length === 0 && problems.length === 0 && checked.rejected.length === 0) problems.push({ line: 1, reason: 'no rows' });
  const fileAt = new Map(parsed.rows.map((r) => [r.line, r.fileName]));
  const invalidRows: RowResult[] = problems.map((p) => ({
    line: p.line,
    file: fileAt.get(p.line) ?? '',
    patient: '',
    type: '',
    status: 'invalid' as const,
    error: { code: 'USAGE', message: p.reason },
  }));
  // MANIFEST.md § 3.2: a FHIR row with invalid content fails alone; the others go on.
  const rejected = () =>
    checked.rejected.map((r) => ({
      line: r.line,
      file: r.fileName,
      patient: r.patientAddress,
      type: '',
      status: 'failed' as const,
      error: { code: r.code, message: r.reason },
    }));
  let rejectedRows: RowResult[] = rejected();
  const counts = (rows: RowResult[]) => ({
    total: rows.length,
    added: rows.filter((r) => r.status === 'added').length,
    alreadyDone: rows.filter((r) => r.status === 'already-done').length,
    invalid: rows.filter((r) => r.status === 'invalid').length,
    failed: rows.filter((r) => r.status === 'failed').length,
  });
  const digest = manifestDigest(manifestPath, bytes);
  const journalPath = o.journal ? resolve(o.journal) : defaultJournalPath(ctx.home, digest);
  if (problems.length && (!o.skipInvalid || checked.valid.length === 0)) {
    // MANIFEST.md § 7: total counts the manifest's rows (valid or not), not only the invalid ones.
    // A FHIR Bundle row counts once per record it becomes (MANIFEST.md § 3.2).
    const extra = checked.valid.length - new Set(checked.valid.map((r) => r.line)).size;
    const total = new Set([...parsed.rows.map((r) => r.line), ...problems.map((p) => p.line)]).size + extra;
    const shown = [...invalidRows, ...rejectedRows].sort((a, b) => a.line - b.line);
    const data = { manifest: manifestPath, journal: null, rows: shown, counts: { ...counts(shown), total } };
    return {
      data,
      failure: new UsageError(`manifest has ${problems.length} invalid row${problems.length > 1 ? 's' : ''}; nothing was started`, {
        hint: `first: line ${problems[0]!.line}: ${problems[0]!.reason}; fix the rows, or pass --skip-invalid to add the valid ones`,
        details: { rows: problems },
      }),
      view: {
        title: 'Invalid manifest: nothing was started',
        table: { columns: ['LINE', 'REASON'], rows: problems.map((p) => [p.line, p.reason]) },
      },
    };
  }

  o.onEvent?.({ event: 'phase', phase: 'unlocking' });
  const signed = await signing;
  const { me } = signed;
  // From here on a row's type is its patient's slot: journal, recipients and chain see only that.
  for (const r of checked.valid) r.recordType = (await slotsFor(signed, r.patientAddress)).slotOf(RECORD_TYPES[r.recordType]!);
  // docs/FHIR.md § 3.3: each FHIR row's patient against the site's patient index; a mismatch fails that row alone.
  checked.valid = await checkPatients(await PatientIndex.open(signed), checked, ctx.clock.now());
  rejectedRows = rejected();
  const key = journalKey(me.privateKey);
  ctx.holdSecret(key);
  const header = jobHeader({
    manifest: manifestPath,
    manifestSha256: digest,
    author,
    chainId: chain.chainId,
    contract: chain.address,
    rows: parsed.rows.length + problems.length,
  });
  // MANIFEST.md § 6.4: one run per journal at a time (released after the journal closes).
  mkdirSync(dirname(journalPath), { recursive: true, mode: 0o700 });
  const lock = acquireLock(
    `${journalPath}.lock`,
    'a batch job on this journal',
    `wait for it to finish, or follow it; its journal is ${journalPath}`,
  );
  ctx.onClose(() => lock.release());
  const journal = Journal.open(journalPath, { key });
  ctx.onClose(() => journal.close());
  const state = replay(journal.events);
  checkHeader(state.job, header, journalPath);
  if (!state.job) journal.append(header);
  const valid = checked.valid;
  const unfinished = valid.some((r) => !state.confirmed.has(r.key)) && journal.events.some((e) => e.ev === 'store' || e.ev === 'tx');
  if (unfinished && !o.resume) {
    throw new UsageError('this manifest has an unfinished job', {
      hint: `run again with --resume to continue it (journal ${journalPath})`,
    });
  }
  for (const [k, v] of confirmedElsewhere(dirname(journalPath), journalPath, header, key))
    if (!state.confirmed.has(k)) state.confirmed.set(k, v);
  for (const r of checked.rejected) journal.append({ ev: 'failed', key: r.key, line: r.line, code: r.code, reason: r.reason });

  interrupt.where.journal = journalPath;
  // Listeners for SIGINT/SIGTERM: runBatchAdd's, aborting `interrupt.signal`.
  const outcome = await runBatch(
    signed,
    {
      journal,
      state,
      concurrency: o.concurrency,
      batchSize: o.batchSize,
      workers: o.workers ?? defaultPoolSize(),
      onEvent: o.onEvent,
      signal: interrupt.signal,
    },
    valid,
  );

  const stoppedMsg = outcome.stopped ? `not done: the job stopped (${outcome.stopped.message}); run again with --resume` : '';
  const rows: RowResult[] = [
    ...invalidRows,
    ...rejectedRows,
    ...outcome.rows.map((r) =>
      r.status === 'pending' ? { ...r, status: 'failed' as const, error: { code: outcome.stopped!.code, message: stoppedMsg } } : r,
    ),
  ].sort((a, b) => a.line - b.line);
  const gasUsed = outcome.txs.reduce((s, t) => s + t.gasUsed, 0n);
  const mined = outcome.txs.reduce((s, t) => s + t.records, 0);
  const elapsedMs = Date.now() - o.started;
  const c = counts(rows);
  // MANIFEST.md § 7: skipped readers, capped (one line per (patient, type, reader)).
  const warnings = capped(outcome.warnings, WARNINGS_JSON_MAX);
  if (ctx.json && !o.stderrIsNdjson)
    for (const w of capped(outcome.warnings, WARNINGS_TERMINAL_MAX)) ctx.io.stderr.write(`warning: ${safeText(w)}\n`);
  const data = {
    manifest: manifestPath,
    journal: journalPath,
    rows: rows.map((r) => ({
      line: r.line,
      // Issue 22 point 3: what the row named, so a result can be matched back to it.
      file: r.file || null,
      title: r.fhir ? (r.fhir.title ?? null) : (r.title ?? null),
      id: r.id ?? null,
      cid: r.cid ?? null,
      patient: r.patient || null,
      type: r.type || null,
      txHash: r.txHash ?? null,
      status: r.status,
      ...(r.error ? { error: r.error } : {}),
      ...(r.meta ? { meta: r.meta } : {}),
      ...(r.pinnedOn ? { pinnedOn: r.pinnedOn } : {}),
      ...(r.fhir ? { date: r.fhir.date, resources: r.fhir.resources } : {}),
    })),
    counts: c,
    transactions: outcome.txs.length,
    gasUsed: gasUsed.toString(),
    gasPerRecord: mined ? Number(gasUsed / BigInt(mined)) : null,
    elapsedMs,
    warnings,
  };
  let failure: EmrError | undefined;
  if (outcome.stopped) failure = resumable(outcome.stopped, journalPath);
  else {
    const first = rows.find((r) => r.status === 'invalid' || r.status === 'failed');
    if (first) {
      // A row's code names the row's failure; a passphrase is the job's, never a row's (USAGE then).
      const code = first.error?.code ?? 'USAGE';
      failure = errorOfCode(
        code === 'BAD_PASSPHRASE' ? 'USAGE' : code,
        `${c.invalid + c.failed} of ${c.total} rows not added; first: line ${first.line}`,
        {
          hint: `${first.error?.message ?? ''}; fix and run again with --resume`.replace(/^; /, ''),
          details: {
            rows: rows
              .filter((r) => r.status === 'invalid' || r.status === 'failed')
              .map((r) => ({ line: r.line, code: r.error?.code, reason: r.error?.message })),
          },
        },
      );
    }
  }
  const summary = `${c.added} added, ${c.alreadyDone} already done, ${c.invalid} invalid, ${c.failed} failed (${outcome.txs.length} transactions, ${(elapsedMs / 1000).toFixed(1)} s)`;
  return {
    data,
    ...(failure ? { failure } : {}),
    view: batchView(ctx, rows, {
      title: c.added === 0 && c.alreadyDone === c.total ? `Already done: ${summary}` : summary,
      journal: join(journalPath),
      warnings: capped(outcome.warnings, WARNINGS_TERMINAL_MAX),
    }),
  };
}

/** Rows a person sees in the human view; the rest are counted (`--json` has them all). */
const ATTENTION_ROWS_MAX = 20;

/**
 * The human view of a batch (issue 22 point 3): the counts, then only the rows that need
 * attention (invalid or failed), with their file and reason — not one line per row (200
 * "already done" lines on a re-run), no tx hashes, patients by name or short address.
 */
function batchView(ctx: Context, rows: RowResult[], o: { title: string; journal: string; warnings: string[] }): View {
  const attention = rows.filter((r) => r.status === 'invalid' || r.status === 'failed');
  const shown = attention.slice(0, ATTENTION_ROWS_MAX);
  const lines: string[] = [];
  if (attention.length > shown.length) lines.push(`… ${attention.length - shown.length} more rows need attention (--json lists every row)`);
  lines.push(`journal: ${o.journal}`);
  return {
    title: o.title,
    ...(shown.length
      ? {
          table: {
            columns: ['LINE', 'STATUS', 'FILE', 'PATIENT', 'TYPE', 'REASON'],
            rows: shown.map((r) => [
              r.line,
              r.status,
              r.file,
              r.patient ? ctx.label(r.patient, 'short') : '',
              r.type,
              r.error?.message ?? '',
            ]),
          },
        }
      : {}),
    lines,
    warnings: o.warnings,
  };
}

/**
 * docs/FHIR.md § 3.3 for a batch: the FHIR rows in manifest order, each checked against the
 * index and then indexed, so two rows naming one address must agree too. A mismatched row
 * becomes a failed row (PATIENT_MISMATCH) with all its parts; the others go on. The index is
 * saved before the job starts (a resumed job checks against it again and agrees).
 */
async function checkPatients(index: PatientIndex, checked: { valid: ValidRow[]; rejected: RejectedRow[] }, now: Date): Promise<ValidRow[]> {
  const refused = new Set<number>();
  for (const r of checked.valid) {
    const subject = r.fhir?.part === 0 ? r.fhir.subject : undefined;
    if (!subject) continue;
    try {
      index.record(r.patientAddress, await index.check(r.patientAddress, subject, { mrn: r.clinical?.mrn }), now);
    } catch (e) {
      if (!(e instanceof PatientMismatchError)) throw e;
      refused.add(r.line);
      checked.rejected.push({
        line: r.line,
        key: r.key,
        fileName: r.fileName,
        patientAddress: r.patientAddress,
        code: 'PATIENT_MISMATCH',
        reason: e.message,
      });
    }
  }
  await index.save();
  return checked.valid.filter((r) => !refused.has(r.line));
}
