/**
 * `emr batch add <manifest> [--resume]` (docs/CLI.md § Batch and demo; docs/MANIFEST.md):
 * parses the options, opens the run's session and calls the flow (src/batch/batch-add.ts),
 * which validates the manifest, runs the journaled job and builds the one result document.
 */
import { isTerminal } from '../../output.js';
import { positiveInt } from '../parse.js';
import { defineCommand } from '../spec.js';
import type { ProgressMode } from './progress.js';

export const batchAdd = defineCommand({
  name: 'add',
  summary: 'add many records from a CSV or NDJSON manifest (journaled, resumable)',
  args: ['<manifest>'],
  options: [
    { flags: '--resume', description: 'continue a job that was interrupted (uses its journal)' },
    { flags: '--skip-invalid', description: 'add the valid rows even when some rows are invalid' },
    { flags: '--allow-outside', description: "let rows name files outside the manifest's directory (never a file under the emr home)" },
    { flags: '--journal <file>', description: 'journal file (default: <home>/batch/<job id>.journal)' },
    { flags: '--concurrency <n>', description: 'rows encrypted and stored at once', default: '4' },
    { flags: '--batch-size <n>', description: 'records per transaction', default: '100' },
    { flags: '--workers <n>', description: 'encryption worker threads (default: cores - 2, at most 4; 0: encrypt on the main thread)' },
    {
      flags: '--progress <mode>',
      description: 'progress on stderr: bar (a terminal), json (NDJSON events) or none',
      choices: ['bar', 'json', 'none'],
    },
  ],
  examples: ['emr batch add lab-results.csv --password-file ~/.emr/pw', 'emr batch add lab-results.csv --resume --json --progress json'],
  async run(
    ctx,
    [manifestArg]: [string],
    opts: {
      resume?: boolean;
      skipInvalid?: boolean;
      allowOutside?: boolean;
      journal?: string;
      concurrency: string;
      batchSize: string;
      workers?: string;
      progress?: ProgressMode;
    },
  ) {
    const started = Date.now();
    const concurrency = positiveInt(opts.concurrency, '--concurrency', 64);
    const batchSize = positiveInt(opts.batchSize, '--batch-size', 1000);
    const workers = opts.workers === undefined ? undefined : opts.workers === '0' ? 0 : positiveInt(opts.workers, '--workers', 16);
    const [{ openSession, unlockSigner }, { runBatchAdd, checkBatchStart }, { progressSink }] = await Promise.all([
      import('../../session/index.js'),
      import('../../batch/batch-add.js'),
      import('./progress.js'),
    ]);
    // docs/CLI.md § Global behaviour: a pty that reports 0 columns counts as no terminal.
    const mode: ProgressMode = opts.progress ?? (isTerminal(ctx.io.stderr) && !ctx.json ? 'bar' : 'none');
    const sink = progressSink(mode, ctx.io.stderr);
    checkBatchStart(ctx, manifestArg);
    const session = await openSession(ctx, { chain: true, store: true });
    // Unlocked while the manifest is validated (runBatchAdd awaits it after validation).
    const signing = unlockSigner(session);
    signing.catch(() => undefined); // handled in runBatchAdd, which settles it before returning
    const result = await runBatchAdd(session, signing, {
      manifest: manifestArg,
      resume: !!opts.resume,
      skipInvalid: !!opts.skipInvalid,
      allowOutside: !!opts.allowOutside,
      ...(opts.journal ? { journal: opts.journal } : {}),
      concurrency,
      batchSize,
      ...(workers !== undefined ? { workers } : {}),
      onEvent: (e) => sink.onEvent(e),
      stderrIsNdjson: mode === 'json',
      started,
    });
    sink.end();
    return result;
  },
});
