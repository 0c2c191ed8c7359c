/**
 * Test-only failpoints (docs/TESTING.md § Failpoints): named places where a test makes
 * the process SIGKILL itself, to prove that a crash there loses nothing and that a retry
 * or `--resume` finishes the work exactly once.
 *
 * `EMR_FAILPOINTS=name[:n][,name[:n]…]` arms `name` to kill the process the n-th time it
 * is reached (default: the first). It is inert unless `EMR_TEST=1` is set as well: one
 * stray variable in a user's shell never kills a real run (TESTING.md § Failpoints).
 * `EMR_FAILPOINT_ACTION=stop` makes an armed point SIGSTOP the process instead: the test
 * then kills a daemon (the chain, the store) at exactly that moment and SIGCONTs it, to
 * see what the process does when the fault meets it there (TESTING.md § Failpoints).
 *
 * Base floor: imports only node builtins and errors.ts.
 */
import { InternalError, UnavailableError, UsageError } from './errors.js';

/** Every failpoint; a name not listed here is a type error in src and in tests. */
export const FAILPOINTS = [
  /** src/records/add.ts: the bundle is stored and its pending entry written, before any transaction. */
  'record-add.after-store',
  /** src/records/rekey.ts: the n-th record's new ciphertext is stored and `rekeyRecord` confirmed. */
  'rekey.after-record',
  /** src/records/emergency.ts: the key-delivery object is stored, before `releaseEmergencyKeys` is sent. */
  'emergency-release.after-store',
  /** src/batch/journal.ts: right after the n-th durable journal line of that event. */
  'batch.journal.job',
  'batch.journal.store',
  'batch.journal.stored',
  'batch.journal.tx',
  'batch.journal.sent',
  'batch.journal.confirmed',
  'batch.journal.abandoned',
  'batch.journal.failed',
  'batch.journal.lost',
  /** src/batch/journal.ts: the n-th line (any event) is written half, then the process dies. */
  'batch.journal.torn',
  /** src/batch/batch-add.ts: the job starts validating its manifest, before any row is sent. */
  'batch.validating',
  /** src/ops/import-car.ts: every block of a CAR is stored, before any root is pinned. */
  'store-import.before-pin',
] as const;

export type Failpoint = (typeof FAILPOINTS)[number];

const ENV = 'EMR_FAILPOINTS';
const ACTION_ENV = 'EMR_FAILPOINT_ACTION';
export type FailpointAction = 'kill' | 'stop' | 'stray';
/** Hits are counted per process; the bound keeps a hostile spec from asking for absurd counts. */
const MAX_HIT = 1_000_000;

let armed: Map<Failpoint, number> | undefined;
let action: FailpointAction | undefined;
const hits = new Map<Failpoint, number>();

/** Parses `EMR_FAILPOINTS` (only when `EMR_TEST=1`); a bad spec is a usage error naming the list. */
export function parseFailpoints(env: NodeJS.ProcessEnv): Map<Failpoint, number> {
  const out = new Map<Failpoint, number>();
  const spec = env[ENV];
  if (env.EMR_TEST !== '1' || !spec) return out;
  for (const item of spec.split(',')) {
    const m = /^([a-z.-]{1,64})(?::(\d{1,7}))?$/.exec(item.trim());
    const name = m?.[1] as Failpoint | undefined;
    const n = m?.[2] === undefined ? 1 : Number(m[2]);
    if (!name || !(FAILPOINTS as readonly string[]).includes(name) || n < 1 || n > MAX_HIT) {
      throw new UsageError(`bad ${ENV} entry`, { hint: `test-only: name[:n], names: ${FAILPOINTS.join(', ')}` });
    }
    out.set(name, n);
  }
  return out;
}

/** What an armed point does (`EMR_FAILPOINT_ACTION`, only when `EMR_TEST=1`): kill (default) or stop. */
export function parseFailpointAction(env: NodeJS.ProcessEnv): FailpointAction {
  const v = env[ACTION_ENV];
  if (env.EMR_TEST !== '1' || v === undefined || v === '' || v === 'kill') return 'kill';
  if (v === 'stop' || v === 'stray') return v;
  throw new UsageError(`bad ${ACTION_ENV}`, { hint: 'test-only: kill, stop or stray' });
}

/** Counts this visit of `name`; true when it is the armed one (the caller then dies). */
export function failpointHit(name: Failpoint): boolean {
  armed ??= parseFailpoints(process.env);
  const at = armed.get(name);
  if (at === undefined) return false;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  return n === at;
}

/** SIGKILLs this process: no handler, no cleanup runs, exactly like a crash. */
export function failpointKill(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new InternalError('unreachable', { hint: 'SIGKILL did not stop the process' });
}

/**
 * Dies here when armed (see the file header), or with `EMR_FAILPOINT_ACTION=stop` stops
 * here (SIGSTOP, synchronous) and goes on once the test sends SIGCONT; with `stray` leaves
 * a rejected promise nobody handles, as a library's background poller can (the command
 * MUST still end with that error's exit code, docs/CLI.md § Exit codes); inert otherwise.
 */
export function failpoint(name: Failpoint): void {
  if (!failpointHit(name)) return;
  action ??= parseFailpointAction(process.env);
  if (action === 'stop') process.kill(process.pid, 'SIGSTOP');
  else if (action === 'stray') void Promise.reject(new UnavailableError('a stray rejection (test failpoint)', { hint: 'test-only' }));
  else failpointKill();
}
