/**
 * What a command asks of the person at the terminal: the keystore passphrase, a yes/no, a
 * spinner. Here (not on the context) because it loads @inquirer/prompts, ora and the
 * passphrase rules, which only commands that ask need (start-up stays light). The packages
 * themselves load only at a terminal (issue 11: a script's run never loads them).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Context, Progress } from '../context.js';
import { UsageError } from '../errors.js';
import { isTerminal } from '../output.js';
import { checkNewPassphrase, judgePassphrase, PASSPHRASE_HINT } from './passphrase-rules.js';

export interface PassphraseOptions {
  confirm?: boolean;
  newKey?: { weakOk?: boolean; userInputs?: string[] };
}

/**
 * The keystore passphrase (docs/CLI.md § Global behaviour): `--password-file`,
 * `EMR_PASSWORD_FILE`, `EMR_PASSWORD`, else a hidden prompt on a TTY. Without a TTY and
 * without a source this fails at once (exit 2); it never waits for input.
 */
export async function askPassphrase(ctx: Context, purpose: string, opts: PassphraseOptions = {}): Promise<Uint8Array> {
  const got = await passphraseFromSource(ctx, purpose, opts);
  // One rule for a new key's passphrase whatever its source (docs/KEYSTORE.md § Passphrases):
  // the prompt re-asks itself; a file or the environment is refused here.
  if (opts.newKey && got.source !== 'prompt') await checkNewPassphrase(got.pass, { ...opts.newKey, source: got.source });
  return got.pass;
}

async function passphraseFromSource(ctx: Context, purpose: string, opts: PassphraseOptions): Promise<{ pass: Uint8Array; source: string }> {
  const file = ctx.globals.passwordFile ?? ctx.env.EMR_PASSWORD_FILE;
  if (file) {
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch (e) {
      throw new UsageError(`cannot read password file ${file}`, {
        hint: 'check the path given to --password-file / EMR_PASSWORD_FILE',
        cause: e,
      });
    }
    // Like geth and cast: the first line is the passphrase; its newline is not part of it.
    let end = text.indexOf(0x0a);
    if (end < 0) end = text.length;
    if (end > 0 && text[end - 1] === 0x0d) end--;
    const pass = ctx.holdSecret(Buffer.from(text.subarray(0, end)));
    text.fill(0);
    return { pass, source: ctx.globals.passwordFile ? '--password-file' : 'EMR_PASSWORD_FILE' };
  }
  if (ctx.env.EMR_PASSWORD !== undefined)
    return { pass: ctx.holdSecret(Buffer.from(ctx.env.EMR_PASSWORD, 'utf8')), source: 'EMR_PASSWORD' };
  if (!ctx.interactive) {
    throw new UsageError(`a passphrase is needed to ${purpose}, and there is no terminal to ask on`, {
      hint: 'pass --password-file <file> (or set EMR_PASSWORD_FILE or EMR_PASSWORD)',
    });
  }
  return promptFor(ctx, purpose, opts);
}

/** The first line of a passphrase file (its newline not part of it), like geth and cast. */
function firstLine(ctx: Context, file: string, flag: string): Uint8Array {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read password file ${file}`, { hint: `check the path given to ${flag}`, cause: e });
  }
  let end = text.indexOf(0x0a);
  if (end < 0) end = text.length;
  if (end > 0 && text[end - 1] === 0x0d) end--;
  const pass = ctx.holdSecret(Buffer.from(text.subarray(0, end)));
  text.fill(0);
  return pass;
}

/**
 * A replacement passphrase for an existing key (`emr key passwd`, docs/KEYSTORE.md § 5): from
 * `file` (`--new-password-file`), else typed twice at a terminal; never from the old one's
 * sources (--password-file, EMR_PASSWORD…). The same strength rule as a new key.
 */
export async function askReplacementPassphrase(
  ctx: Context,
  purpose: string,
  opts: { file?: string; weakOk?: boolean; userInputs?: string[] },
): Promise<Uint8Array> {
  const newKey = { weakOk: opts.weakOk, userInputs: opts.userInputs };
  if (opts.file) {
    const pass = firstLine(ctx, opts.file, '--new-password-file');
    await checkNewPassphrase(pass, { ...newKey, source: '--new-password-file' });
    return pass;
  }
  if (!ctx.interactive)
    throw new UsageError(`a new passphrase is needed to ${purpose}, and there is no terminal to ask on`, {
      hint: 'pass --new-password-file <file> (its first line is the new passphrase)',
    });
  return (await promptFor(ctx, `${purpose} (new passphrase)`, { newKey })).pass;
}

async function promptFor(ctx: Context, purpose: string, opts: PassphraseOptions): Promise<{ pass: Uint8Array; source: string }> {
  const { password } = await import('@inquirer/prompts'); // only at a terminal
  const ask = (message: string) =>
    password({ message, mask: true }, { input: ctx.io.stdin as NodeJS.ReadStream, output: ctx.io.stderr as NodeJS.WriteStream });
  const prompted = (p: string) => ({ pass: ctx.holdSecret(Buffer.from(p, 'utf8')), source: 'prompt' });
  for (;;) {
    const first = await ask(`Passphrase to ${purpose}:`);
    if (!opts.confirm && !opts.newKey) return prompted(first);
    if (opts.newKey) {
      const v = await judgePassphrase(first, opts.newKey);
      if (!v.ok) {
        ctx.io.stderr.write(`That passphrase is refused: ${v.reason}.\nhint: ${PASSPHRASE_HINT}\n`);
        continue;
      }
    }
    const again = await ask('Repeat the passphrase:');
    if (again === first) return prompted(first);
    ctx.io.stderr.write('The two entries differ; try again.\n');
  }
}

/**
 * The hint for a passphrase the keystore refused, by where it came from (issue 22 point 7: a
 * passphrase typed at the prompt was told to check --password-file).
 */
export function wrongPassphraseHint(ctx: Context): string {
  const keep = 'the keystore was not changed';
  if (ctx.globals.passwordFile) return `check the first line of ${ctx.globals.passwordFile} (--password-file); ${keep}`;
  if (ctx.env.EMR_PASSWORD_FILE) return `check the first line of ${ctx.env.EMR_PASSWORD_FILE} (EMR_PASSWORD_FILE); ${keep}`;
  if (ctx.env.EMR_PASSWORD !== undefined) return `check EMR_PASSWORD (or unset it to be asked at the terminal); ${keep}`;
  return `the passphrase typed does not open this profile's keystore (mind Caps Lock and the keyboard layout); ${keep}. Forgotten: restore the key from its recovery phrase with \`emr key import --mnemonic\``;
}

/** Asks yes/no on a TTY; `--yes` answers yes; without a TTY the answer is no. */
export async function confirm(ctx: Context, message: string): Promise<boolean> {
  if (ctx.globals.yes) return true;
  if (!ctx.interactive) return false;
  const { confirm: askConfirm } = await import('@inquirer/prompts'); // only at a terminal
  return askConfirm({ message, default: false }, { input: ctx.io.stdin as NodeJS.ReadStream, output: ctx.io.stderr as NodeJS.WriteStream });
}

const noProgress: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

/**
 * A spinner on stderr for people at a terminal; silent in JSON mode, in pipes, and on a
 * pseudo-terminal that reports 0 columns (cron's `script`, some `docker exec -t`): there a
 * spinner cannot measure its line and redraws without end, so it counts as no terminal.
 * The spinner is never forced on: ora's own checks (TERM=dumb, CI) still apply.
 */
export function progress(ctx: Context, text: string): Progress {
  if (ctx.json || !isTerminal(ctx.io.stderr)) return noProgress;
  // ora (and string-width, chalk…) only at a terminal; loaded synchronously (require of an ES
  // module, Node ≥ 20.19) because a spinner starts at once and its caller does not wait.
  const ora = createRequire(import.meta.url)('ora') as typeof import('ora');
  const spinner = ora.default({ text, stream: ctx.io.stderr as NodeJS.WriteStream, color: 'cyan' });
  if (!spinner.isEnabled) return noProgress;
  spinner.start();
  ctx.onClose(() => {
    if (spinner.isSpinning) spinner.stop();
  });
  return {
    update: (t) => void (spinner.text = t),
    succeed: (t) => void spinner.succeed(t),
    fail: (t) => void spinner.fail(t),
    stop: () => void spinner.stop(),
  };
}
