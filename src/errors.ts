/**
 * Error classes: a code, a short one-line message, a hint, and a cause.
 * The exit code of each class is fixed by docs/CLI.md § "Exit codes"; `exitCodeOf` is the
 * only place that maps errors to exit codes.
 *
 * Rule: messages and hints never carry secrets (passphrases, keys, plaintext).
 */

export type ErrorCode =
  | 'INTERNAL'
  | 'USAGE'
  | 'ACCESS_DENIED'
  | 'INTEGRITY'
  | 'BAD_PASSPHRASE'
  | 'UNAVAILABLE'
  | 'NOT_FOUND'
  | 'INTERRUPTED'
  | 'PATIENT_MISMATCH';

/** docs/CLI.md § Exit codes. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = Object.freeze({
  INTERNAL: 1,
  USAGE: 2,
  ACCESS_DENIED: 3,
  INTEGRITY: 4,
  BAD_PASSPHRASE: 5,
  UNAVAILABLE: 6,
  NOT_FOUND: 7,
  // The shell's 128 + signal: 130 for SIGINT (InterruptedError gives 143 for SIGTERM).
  INTERRUPTED: 130,
  // An integrity failure of its own kind (docs/FHIR.md § 3.3): the wrong patient's data.
  PATIENT_MISMATCH: 4,
});

export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable facts for `--json` (never secrets). */
  details?: Record<string, unknown>;
}

export abstract class EmrError extends Error {
  abstract readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** A bug. The message asks the user to report it. */
export class InternalError extends EmrError {
  readonly code = 'INTERNAL' as const;
}
/** Bad flags or arguments, unreadable input file, missing passphrase source. */
export class UsageError extends EmrError {
  readonly code = 'USAGE' as const;
}
/** No grant, grant expired or revoked, provider not verified, not the patient. */
export class AccessDeniedError extends EmrError {
  readonly code = 'ACCESS_DENIED' as const;
}
/** Tampered or truncated ciphertext, bad signature, content hash or CID mismatch. */
export class IntegrityError extends EmrError {
  readonly code = 'INTEGRITY' as const;
}
/**
 * A FHIR file about another person than the patient written to, as this site knows them
 * (docs/FHIR.md § 3.3): exit 4, nothing stored. `details.fields` names what differs.
 */
export class PatientMismatchError extends EmrError {
  readonly code = 'PATIENT_MISMATCH' as const;
}
/** The keystore would not open with the passphrase given. */
export class BadPassphraseError extends EmrError {
  readonly code = 'BAD_PASSPHRASE' as const;
}
/** Chain or IPFS endpoint unreachable; transaction dropped or reverted for another reason. */
export class UnavailableError extends EmrError {
  readonly code = 'UNAVAILABLE' as const;
}
/** Unknown record id, profile, address or CID. */
export class NotFoundError extends EmrError {
  readonly code = 'NOT_FOUND' as const;
}

const BY_CODE: Readonly<Record<Exclude<ErrorCode, 'INTERRUPTED'>, new (message: string, opts?: ErrorOptions) => EmrError>> = {
  INTERNAL: InternalError,
  USAGE: UsageError,
  ACCESS_DENIED: AccessDeniedError,
  INTEGRITY: IntegrityError,
  BAD_PASSPHRASE: BadPassphraseError,
  UNAVAILABLE: UnavailableError,
  NOT_FOUND: NotFoundError,
  PATIENT_MISMATCH: PatientMismatchError,
};

/**
 * The one constructor of an error by its code (a worker's reply, a re-hinted batch error, a
 * contract error's kind). An unknown code, or INTERRUPTED (it needs its signal), is a bug.
 */
export function errorOfCode(code: string, message: string, opts: ErrorOptions = {}): EmrError {
  const C = Object.hasOwn(BY_CODE, code) ? BY_CODE[code as keyof typeof BY_CODE] : InternalError;
  return new C(message, opts);
}

export function isEmrError(e: unknown): e is EmrError {
  return e instanceof EmrError;
}

/** Wraps anything thrown into an EmrError; unknown errors are bugs (exit 1). */
export function toEmrError(e: unknown): EmrError {
  if (e instanceof EmrError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  // Node's EPIPE on a closed stdout is the reader's choice, not a bug.
  if (err && typeof err === 'object' && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) {
    return new UnavailableError(`connection failed: ${err.message}`, {
      hint: 'check that the endpoint is running and reachable',
      cause: e,
    });
  }
  // A full disk or a file-size limit is the machine's state, not a bug (writes are atomic:
  // nothing half-written is left behind, so running again after freeing space is safe).
  if (err && typeof err === 'object' && (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'EFBIG')) {
    return new UnavailableError(`no space left to write${err.path ? ` ${err.path}` : ''} (${err.code})`, {
      hint: 'free disk space (or raise the quota / file size limit) and run the command again; nothing partial was kept',
      cause: e,
    });
  }
  const msg = err instanceof Error ? err.message : String(e);
  return new InternalError(`unexpected error: ${msg}`, {
    hint: 'this is a bug in emr; please report it with the command you ran (run with EMR_DEBUG=1 for a stack trace)',
    cause: e,
  });
}

/**
 * A long job stopped by SIGINT/SIGTERM after finishing what it had started (MANIFEST.md
 * § 6.5): exit 130 (SIGINT) or 143 (SIGTERM), as if the signal had killed it, but with the
 * result document written.
 */
export class InterruptedError extends EmrError {
  readonly code = 'INTERRUPTED' as const;
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    message: string,
    opts: ErrorOptions = {},
  ) {
    super(message, opts);
  }

  override get exitCode(): number {
    return this.signal === 'SIGTERM' ? 143 : 130;
  }
}

/** docs/CLI.md § Exit codes: the single mapping from an error to the process exit code. */
export function exitCodeOf(e: unknown): number {
  return toEmrError(e).exitCode;
}

/**
 * An input file that cannot be read: missing is NOT_FOUND (exit 7), anything else (a
 * directory, no permission) is USAGE (exit 2) (docs/CLI.md § Exit codes).
 */
export function inputFileError(path: string, cause: unknown, hint = 'check the path'): EmrError {
  const code = (cause as { code?: string } | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new NotFoundError(`no such file: ${path}`, { hint, cause });
  return new UsageError(`cannot read ${path}`, { hint, cause });
}
