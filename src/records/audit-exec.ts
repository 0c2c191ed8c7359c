/**
 * `emr audit --follow --exec <command>` (docs/DEVNET.md § 6.2; issue 24 § 2 "Notifications"):
 * runs the command once per new event, the event (the `data.events[]` row) as JSON on its
 * stdin — a desktop notification, a mail, a webhook through curl.
 *
 * - No shell: the command is split on white space and run with execFile, so an event's text
 *   can never become shell syntax (quotes, pipes and variables are not interpreted).
 * - Its environment is emr's minus every `EMR_*` variable and `ETH_RPC_URL` (a passphrase,
 *   a password file, an RPC URL with an API key): emr's secrets never reach it.
 * - Bounded: one run at a time, each killed after EXEC_TIMEOUT_MS, its output capped at
 *   EXEC_OUTPUT_MAX bytes, at most QUEUE_MAX events waiting; a failure (exit ≠ 0, timeout,
 *   not found) is reported on stderr and retried up to ATTEMPTS times with a growing pause,
 *   then given up (reported). The follow never waits for it: events are queued.
 * - Delivered once across a restart: a cursor (block, events of that block done) is written
 *   atomically after each event is done (delivered or given up) to
 *   `<home>/audit-exec/<sha256(contract, scope, command)>.json`; the next `--follow --exec`
 *   with the same command and scope resumes after it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { safeText, toJson } from '../output.js';

/** What the deliverer reads of an audit row (records/audit.ts AuditRow); the whole row is what the command gets. */
interface AuditRow {
  event: string;
  block: number;
}

export const EXEC_TIMEOUT_MS = 30_000;
export const EXEC_OUTPUT_MAX = 64 * 1024;
export const QUEUE_MAX = 10_000;
export const ATTEMPTS = 3;
const COMMAND_MAX = 4096;

export interface Cursor {
  block: number;
  /** Events of `block` already done. */
  done: number;
}

/** `--exec` split into a program and its arguments (no shell); exit 2 when empty or too long. */
export function parseExec(command: string): string[] {
  const argv = command.trim().split(/\s+/).filter(Boolean);
  if (!argv.length || command.length > COMMAND_MAX || argv.length > 64)
    throw new UsageError('--exec: give a command (a program and its arguments, no shell syntax)', {
      hint: 'e.g. --exec "notify-send emr" or --exec ./notify.sh (the event arrives as JSON on stdin)',
    });
  return argv;
}

/** emr's environment without its secrets. */
export function execEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !/^EMR_/i.test(k) && k !== 'ETH_RPC_URL') out[k] = v;
  return out;
}

function runOnce(argv: string[], input: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { cwd, env: execEnv(), timeout: EXEC_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: EXEC_OUTPUT_MAX, windowsHide: true },
      (err, _out, stderr) => {
        if (!err) return resolve();
        const why = err.killed
          ? `timed out after ${EXEC_TIMEOUT_MS / 1000} s`
          : (err as { code?: unknown }).code !== undefined
            ? `exit ${String((err as { code?: unknown }).code)}`
            : err.message;
        const first = String(stderr ?? '')
          .split('\n')[0]!
          .slice(0, 200);
        reject(new Error(`${why}${first ? `: ${first}` : ''}`));
      },
    );
    child.stdin?.on('error', () => {}); // a command that does not read its stdin is no failure of ours
    child.stdin?.end(input);
  });
}

export interface ExecDelivery {
  /** Where to resume: the cursor of a previous run, if any. */
  resume: Cursor | undefined;
  /** Queue one event (never waits). */
  push(row: AuditRow, indexInBlock: number): void;
  /** Stop taking events, finish the one running; events still queued wait for the next run. */
  stop(): Promise<{ delivered: number; failed: number }>;
}

export function execDelivery(opts: {
  home: string;
  key: string;
  command: string;
  warn: (line: string) => void;
  pause?: (ms: number) => Promise<void>;
}): ExecDelivery {
  const argv = parseExec(opts.command);
  const file = join(
    opts.home,
    'audit-exec',
    `${createHash('sha256').update(`${opts.key}\n${opts.command}`).digest('hex').slice(0, 32)}.json`,
  );
  let resume: Cursor | undefined;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Cursor;
    if (Number.isSafeInteger(c.block) && Number.isSafeInteger(c.done) && c.block >= 0 && c.done >= 0)
      resume = { block: c.block, done: c.done };
  } catch {
    resume = undefined; // no cursor yet (or unreadable): start from the head
  }
  const pause = opts.pause ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref()));
  const queue: Array<{ row: AuditRow; index: number }> = [];
  let stopping = false;
  let delivered = 0;
  let failed = 0;
  let running: Promise<void> | undefined;
  const kick = () => {
    if (running || stopping || !queue.length) return;
    running = work().finally(() => {
      running = undefined;
      kick();
    });
  };
  const label = (r: AuditRow) => `${r.event} (block ${r.block})`;
  const save = (block: number, index: number) =>
    writeFileAtomic(file, JSON.stringify({ block, done: index + 1 }), { overwrite: true, mode: 0o600 });
  const work = async () => {
    while (queue.length && !stopping) {
      const { row, index } = queue[0]!;
      let ok = false;
      for (let attempt = 1; attempt <= ATTEMPTS && !ok && !stopping; attempt++) {
        try {
          await runOnce(argv, toJson(row) + '\n', opts.home);
          ok = true;
        } catch (e) {
          opts.warn(`--exec failed for ${label(row)}, attempt ${attempt} of ${ATTEMPTS}: ${safeText((e as Error).message)}`);
          if (attempt < ATTEMPTS && !stopping) await pause(1000 * attempt);
        }
      }
      if (!ok && stopping) return; // not done: the next run delivers it
      if (ok) delivered++;
      else {
        failed++;
        opts.warn(`--exec gave up on ${label(row)} after ${ATTEMPTS} attempts`);
      }
      queue.shift();
      save(row.block, index);
    }
  };
  return {
    resume,
    push(row, index) {
      if (stopping) return;
      if (queue.length >= QUEUE_MAX) {
        opts.warn(`--exec queue full (${QUEUE_MAX}): ${label(row)} not delivered in this run`);
        stopping = true; // stop here so the cursor stays before it and the next run delivers it
        return;
      }
      queue.push({ row, index });
      kick();
    },
    async stop() {
      stopping = true;
      await running;
      return { delivered, failed };
    },
  };
}
