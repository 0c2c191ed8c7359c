/**
 * `emr batch add <manifest> [--resume]` (docs/CLI.md § Batch and demo; docs/MANIFEST.md):
 * validate the whole manifest, then encrypt + store rows concurrently and register them
 * on chain in batches, journaling every step so a killed job resumes without losses or
 * duplicates. One final document: per-row results and counts (data) and, when any row
 * did not succeed, the error of the first failure class (exit code) as well.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RowResult } from '../../batch/run.js';
import { AccessDeniedError, type EmrError, type ErrorCode, IntegrityError, InternalError, InterruptedError, inputFileError, NotFoundError, UnavailableError, UsageError } from '../../errors.js';
import { safeText } from '../../output.js';
import { defineCommand } from '../spec.js';
import type { ProgressMode } from './progress.js';

function positiveInt(v: string, flag: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}`, { hint: `e.g. ${flag} 4` });
  return n;
}

const CLASSES: Record<ErrorCode, new (m: string, o: { hint: string; details?: Record<string, unknown> }) => EmrError> = {
  USAGE: UsageError,
  ACCESS_DENIED: AccessDeniedError,
  INTEGRITY: IntegrityError,
  UNAVAILABLE: UnavailableError,
  NOT_FOUND: NotFoundError,
  INTERNAL: InternalError,
  BAD_PASSPHRASE: UsageError,
  INTERRUPTED: InternalError,
};

/** Test-only (MANIFEST.md § 6.3): `EMR_BATCH_KILL_AT=<event>:<n>` SIGKILLs this process after the n-th such journal event. */
function crashPoint(env: NodeJS.ProcessEnv) {
  const spec = env.EMR_BATCH_KILL_AT;
  if (!spec) return undefined;
  const m = /^(store|stored|tx|sent|confirmed|abandoned|failed|torn):(\d+)$/.exec(spec);
  if (!m) throw new UsageError('bad EMR_BATCH_KILL_AT', { hint: 'test-only: <event>:<n>, e.g. stored:3' });
  return {
    event: m[1] as 'store',
    n: Number(m[2]),
    kill(): never {
      process.kill(process.pid, 'SIGKILL');
      throw new InternalError('unreachable', { hint: 'SIGKILL did not stop the process' });
    },
  };
}

const WARNINGS_JSON_MAX = 100;
const WARNINGS_TERMINAL_MAX = 10;
/** At most `max` lines, the last saying how many more there were. */
function capped(lines: string[], max: number): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max - 1), `… and ${lines.length - max + 1} more warnings like these`];
}

export const batchAdd = defineCommand({
  name: 'add',
  summary: 'add many records from a CSV or NDJSON manifest (journaled, resumable)',
  args: ['<manifest>'],
  options: [
    { flags: '--resume', description: 'continue a job that was interrupted (uses its journal)' },
    { flags: '--skip-invalid', description: 'add the valid rows even when some rows are invalid' },
    { flags: '--allow-outside', description: "let rows name files outside the manifest's directory (never emr's own files)" },
    { flags: '--journal <file>', description: 'journal file (default: <home>/batch/<job id>.journal)' },
    { flags: '--concurrency <n>', description: 'rows encrypted and stored at once', default: '4' },
    { flags: '--batch-size <n>', description: 'records per transaction', default: '100' },
    { flags: '--workers <n>', description: 'encryption worker threads (default: cores - 2, at most 4; 0: encrypt on the main thread)' },
    { flags: '--progress <mode>', description: 'progress on stderr: bar (a terminal), json (NDJSON events) or none', choices: ['bar', 'json', 'none'] },
  ],
  examples: ['emr batch add lab-results.csv --password-file ~/.emr/pw', 'emr batch add lab-results.csv --resume --json --progress json'],
  async run(ctx, [manifestArg]: [string], opts: { resume?: boolean; skipInvalid?: boolean; allowOutside?: boolean; journal?: string; concurrency: string; batchSize: string; workers?: string; progress?: ProgressMode }) {
    const started = Date.now();
    const concurrency = positiveInt(opts.concurrency, '--concurrency', 64);
    const batchSize = positiveInt(opts.batchSize, '--batch-size', 1000);
    const workers = opts.workers === undefined ? undefined : opts.workers === '0' ? 0 : positiveInt(opts.workers, '--workers', 16);
    // MANIFEST.md § 8: a batch never prompts, even on a terminal.
    if (!ctx.globals.passwordFile && !ctx.env.EMR_PASSWORD_FILE && ctx.env.EMR_PASSWORD === undefined) {
      throw new UsageError('a batch needs the passphrase from --password-file or the environment', {
        hint: 'pass --password-file <file> (or set EMR_PASSWORD_FILE); batch jobs never prompt',
      });
    }
    const manifestPath = resolve(manifestArg);
    let bytes: Buffer;
    try {
      bytes = readFileSync(manifestPath);
    } catch (e) {
      throw inputFileError(manifestArg, e, 'check the path of the manifest');
    }
    const { parseManifest } = await import('../../batch/manifest.js');
    const { validateRows } = await import('../../batch/validate.js');
    const { confineRowFile } = await import('../../batch/confine.js');
    const { manifestDigest, defaultJournalPath, jobHeader, checkHeader, confirmedElsewhere } = await import('../../batch/job.js');
    const parsed = parseManifest(bytes.toString('utf8'), { path: manifestPath, baseDir: dirname(manifestPath) });

    const { unlock } = await import('../../session/unlock.js');
    const { chainFor } = await import('../../session/chain.js');
    const { resolveAddress } = await import('../../session/resolve.js');
    const { whois } = await import('../../chain/whois.js');
    const { canWrite } = await import('../../chain/grants.js');
    const me = await unlock(ctx);
    const chain = await chainFor(ctx, { signer: true });
    const author = me.profile.address;
    const checked = await validateRows(parsed.rows, {
      author,
      resolvePatient: (who) => resolveAddress(ctx, who),
      isRegisteredPatient: async (a) => {
        const w = await whois(chain, a);
        return w.registered && w.role === 'patient' && !!w.recipient;
      },
      canWrite: (patient, recordType) => canWrite(chain, { author, patient, recordType }),
      confine: (file) => confineRowFile(file, { baseDir: dirname(manifestPath), home: ctx.home, allowOutside: !!opts.allowOutside }),
    });
    const problems = [...parsed.problems, ...checked.problems].sort((a, b) => a.line - b.line);
    if (checked.valid.length === 0 && problems.length === 0 && checked.rejected.length === 0) problems.push({ line: 1, reason: 'no rows' });
    const invalidRows: RowResult[] = problems.map((p) => ({ line: p.line, file: '', patient: '', type: '', status: 'invalid' as const, error: { code: 'USAGE', message: p.reason } }));
    // MANIFEST.md § 3.2: a FHIR row with invalid content fails alone; the others go on.
    const rejectedRows: RowResult[] = checked.rejected.map((r) => ({ line: r.line, file: r.fileName, patient: r.patientAddress, type: '', status: 'failed' as const, error: { code: r.code, message: r.reason } }));
    const counts = (rows: RowResult[]) => ({
      total: rows.length,
      added: rows.filter((r) => r.status === 'added').length,
      alreadyDone: rows.filter((r) => r.status === 'already-done').length,
      invalid: rows.filter((r) => r.status === 'invalid').length,
      failed: rows.filter((r) => r.status === 'failed').length,
    });
    const digest = manifestDigest(manifestPath, bytes);
    const journalPath = opts.journal ? resolve(opts.journal) : defaultJournalPath(ctx.home, digest);
    if (problems.length && (!opts.skipInvalid || checked.valid.length === 0)) {
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
        view: { title: 'Invalid manifest: nothing was started', table: { columns: ['LINE', 'REASON'], rows: problems.map((p) => [p.line, p.reason]) } },
      };
    }

    const { Journal, replay, journalKey } = await import('../../batch/journal.js');
    const { acquireLock } = await import('../../lock.js');
    const key = journalKey(me.privateKey);
    ctx.holdSecret(key);
    const header = jobHeader({ manifest: manifestPath, manifestSha256: digest, author, chainId: chain.chainId, contract: chain.address, rows: parsed.rows.length + problems.length });
    // MANIFEST.md § 6.4: one run per journal at a time (released after the journal closes).
    mkdirSync(dirname(journalPath), { recursive: true, mode: 0o700 });
    const lock = acquireLock(`${journalPath}.lock`, 'a batch job on this journal', `wait for it to finish, or follow it; its journal is ${journalPath}`);
    ctx.onClose(() => lock.release());
    const journal = Journal.open(journalPath, { crash: crashPoint(ctx.env), key });
    ctx.onClose(() => journal.close());
    const state = replay(journal.events);
    checkHeader(state.job, header, journalPath);
    if (!state.job) journal.append(header);
    const valid = checked.valid;
    const unfinished = valid.some((r) => !state.confirmed.has(r.key)) && journal.events.some((e) => e.ev === 'store' || e.ev === 'tx');
    if (unfinished && !opts.resume) {
      throw new UsageError('this manifest has an unfinished job', { hint: `run again with --resume to continue it (journal ${journalPath})` });
    }
    for (const [k, v] of confirmedElsewhere(dirname(journalPath), journalPath, header, key)) if (!state.confirmed.has(k)) state.confirmed.set(k, v);
    for (const r of checked.rejected) journal.append({ ev: 'failed', key: r.key, line: r.line, code: r.code, reason: r.reason });

    const { storeFor, scratchDir } = await import('../../session/store.js');
    const { runBatch } = await import('../../batch/run.js');
    const { defaultPoolSize } = await import('../../batch/encrypt-pool.js');
    const { progressSink } = await import('./progress.js');
    const mode: ProgressMode = opts.progress ?? (ctx.io.stderr.isTTY && !ctx.json ? 'bar' : 'none');
    const sink = progressSink(mode, ctx.io.stderr);
    const store = await storeFor(ctx);
    // MANIFEST.md § 6.5: SIGINT/SIGTERM stop the job cleanly (nothing new started, the
    // journal flushed, one result document, exit 130/143). A second signal kills as usual.
    const interrupt = new AbortController();
    const onSignal = (sig: 'SIGINT' | 'SIGTERM') => () =>
      interrupt.abort(new InterruptedError(sig, `interrupted by ${sig}`, { hint: `finished steps are journaled; run again with --resume to continue (journal ${journalPath})` }));
    const onInt = onSignal('SIGINT');
    const onTerm = onSignal('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    let outcome: Awaited<ReturnType<typeof runBatch>>;
    try {
      outcome = await runBatch(
        { home: ctx.home, chain, store, me, scratch: await scratchDir(ctx), now: () => ctx.clock.now(), journal, state, concurrency, batchSize, workers: workers ?? defaultPoolSize(), onEvent: (e) => sink.onEvent(e), signal: interrupt.signal },
        valid,
      );
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    sink.end();

    const stoppedMsg = outcome.stopped ? `not done: the job stopped (${outcome.stopped.message}); run again with --resume` : '';
    const rows: RowResult[] = [...invalidRows, ...rejectedRows, ...outcome.rows.map((r) => (r.status === 'pending' ? { ...r, status: 'failed' as const, error: { code: outcome.stopped!.code, message: stoppedMsg } } : r))].sort((a, b) => a.line - b.line);
    const gasUsed = outcome.txs.reduce((s, t) => s + t.gasUsed, 0n);
    const mined = outcome.txs.reduce((s, t) => s + t.records, 0);
    const elapsedMs = Date.now() - started;
    const c = counts(rows);
    // MANIFEST.md § 7: skipped readers, capped (one line per (patient, type, reader)).
    const warnings = capped(outcome.warnings, WARNINGS_JSON_MAX);
    if (ctx.json && mode !== 'json') for (const w of capped(outcome.warnings, WARNINGS_TERMINAL_MAX)) ctx.io.stderr.write(`warning: ${safeText(w)}\n`);
    const data = {
      manifest: manifestPath,
      journal: journalPath,
      rows: rows.map((r) => ({ line: r.line, id: r.id ?? null, cid: r.cid ?? null, patient: r.patient || null, type: r.type || null, txHash: r.txHash ?? null, status: r.status, ...(r.error ? { error: r.error } : {}), ...(r.meta ? { meta: r.meta } : {}), ...(r.pinnedOn ? { pinnedOn: r.pinnedOn } : {}), ...(r.fhir ? { title: r.fhir.title ?? null, date: r.fhir.date, resources: r.fhir.resources } : {}) })),
      counts: c,
      transactions: outcome.txs.length,
      gasUsed: gasUsed.toString(),
      gasPerRecord: mined ? Number(gasUsed / BigInt(mined)) : null,
      elapsedMs,
      warnings,
    };
    let failure: EmrError | undefined;
    if (outcome.stopped) failure = outcome.stopped;
    else {
      const first = rows.find((r) => r.status === 'invalid' || r.status === 'failed');
      if (first) {
        const Cls = CLASSES[(first.error?.code ?? 'USAGE') as ErrorCode];
        failure = new Cls(`${c.invalid + c.failed} of ${c.total} rows not added; first: line ${first.line}`, {
          hint: `${first.error?.message ?? ''}; fix and run again with --resume`.replace(/^; /, ''),
          details: { rows: rows.filter((r) => r.status === 'invalid' || r.status === 'failed').map((r) => ({ line: r.line, code: r.error?.code, reason: r.error?.message })) },
        });
      }
    }
    const summary = `${c.added} added, ${c.alreadyDone} already done, ${c.invalid} invalid, ${c.failed} failed (${outcome.txs.length} transactions, ${(elapsedMs / 1000).toFixed(1)} s)`;
    return {
      data,
      ...(failure ? { failure } : {}),
      view: {
        title: c.added === 0 && c.alreadyDone === c.total ? `Already done: ${summary}` : summary,
        table: { columns: ['LINE', 'STATUS', 'ID', 'PATIENT', 'TYPE', 'NOTE'], rows: rows.map((r) => [r.line, r.status, r.id, r.patient, r.type, r.error?.message ?? r.txHash]) },
        lines: [`journal: ${join(journalPath)}`],
        warnings: capped(outcome.warnings, WARNINGS_TERMINAL_MAX),
      },
    };
  },
});
