/**
 * Everything a command may use reaches it through this object: config, keystore, chain
 * client, record store, prompts, clock, output streams. Nothing module-level; heavy modules
 * (ethers, IPFS, prompts, spinners) load only when a command asks for them.
 */
import { readFileSync } from 'node:fs';
import { Config } from './config.js';
import { NotFoundError, UsageError } from './errors.js';
import { ProfileStore, type Profile } from './keys/profiles.js';
import { styleFor, type Style } from './output.js';

export interface GlobalOptions {
  home: string;
  /** The user named the home (--home or EMR_HOME), rather than the OS default. */
  homeExplicit?: boolean;
  profile?: string;
  json: boolean;
  rpcUrl?: string;
  contract?: string;
  ipfsApi?: string;
  /** Trustless gateways to read through, in order (--ipfs-gateway, EMR_IPFS_GATEWAY). */
  ipfsGateways?: string[];
  /** Several Kubo nodes (--ipfs-api repeated): records are pinned on `replicas` of them. */
  ipfsApis?: string[];
  replicas?: number;
  passwordFile?: string;
  yes: boolean;
}

export interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Clock {
  now(): Date;
}

export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

/** A terminal a person can watch: a TTY with a known, non-zero width. */
export function isTerminal(stream: { isTTY?: boolean; columns?: number }): boolean {
  return !!stream.isTTY && typeof stream.columns === 'number' && stream.columns > 0;
}

const noProgress: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

export class Context {
  readonly config: Config;
  readonly profiles: ProfileStore;
  readonly clock: Clock;
  /** Buffers holding secrets; zeroed by close(). */
  private readonly secrets: Uint8Array[] = [];
  private readonly closers: Array<() => Promise<void> | void> = [];
  /** Per-run cache of lazily built services (chain client, record store, unlocked keys). */
  readonly cache = new Map<string, unknown>();

  constructor(
    readonly globals: GlobalOptions,
    readonly io: Io,
    readonly env: NodeJS.ProcessEnv,
    clock?: Clock,
  ) {
    this.config = new Config(globals.home);
    this.profiles = new ProfileStore(globals.home);
    this.clock = clock ?? { now: () => new Date() };
  }

  get home(): string {
    return this.globals.home;
  }
  get json(): boolean {
    return this.globals.json;
  }
  /** A person can answer prompts: stdin and stderr are terminals. */
  get interactive(): boolean {
    return !!this.io.stdin.isTTY && !!this.io.stderr.isTTY;
  }
  get errStyle(): Style {
    return styleFor(this.io.stderr, this.env);
  }

  /** Registers a secret buffer to be zeroed when the command ends. */
  holdSecret<T extends Uint8Array>(b: T): T {
    this.secrets.push(b);
    return b;
  }

  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch {
        // Closing is best effort; the command's own result or error already stands.
      }
    }
    this.closers.length = 0;
    for (const s of this.secrets) s.fill(0);
    this.secrets.length = 0;
  }

  /** docs/CLI.md: `--profile`, `EMR_PROFILE`, else the default profile, else the only one. */
  profileName(explicit?: string): string {
    const name = explicit ?? this.globals.profile ?? this.env.EMR_PROFILE ?? this.config.get('defaultProfile');
    if (name) return name;
    const all = this.profiles.list();
    if (all.length === 1) return all[0]!.name;
    if (all.length === 0) {
      throw new NotFoundError('no local identity yet', { hint: 'create one with `emr keygen --name <profile>`' });
    }
    throw new UsageError('several profiles and none chosen', {
      hint: `pass --profile <name> (one of: ${all.map((p) => p.name).join(', ')}) or set EMR_PROFILE`,
    });
  }

  profile(explicit?: string): Profile {
    return this.profiles.get(this.profileName(explicit));
  }

  /**
   * The keystore passphrase (docs/CLI.md § Global behaviour): `--password-file`,
   * `EMR_PASSWORD_FILE`, `EMR_PASSWORD`, else a hidden prompt on a TTY. Without a TTY and
   * without a source this fails at once (exit 2); it never waits for input.
   */
  async passphrase(purpose: string, opts: { confirm?: boolean; newKey?: { weakOk?: boolean; userInputs?: string[] } } = {}): Promise<Uint8Array> {
    const got = await this.passphraseFromSource(purpose, opts);
    // One rule for a new key's passphrase whatever its source (docs/KEYSTORE.md § Passphrases):
    // the prompt re-asks itself; a file or the environment is refused here.
    if (opts.newKey && got.source !== 'prompt') {
      const { checkNewPassphrase } = await import('./identity/passphrase-rules.js');
      await checkNewPassphrase(got.pass, { ...opts.newKey, source: got.source });
    }
    return got.pass;
  }

  /** Whether the passphrase will come from a person at a terminal (who may retry a typo). */
  get passphraseIsPrompted(): boolean {
    return !(this.globals.passwordFile ?? this.env.EMR_PASSWORD_FILE) && this.env.EMR_PASSWORD === undefined && this.interactive;
  }

  private async passphraseFromSource(purpose: string, opts: { confirm?: boolean; newKey?: { weakOk?: boolean; userInputs?: string[] } }): Promise<{ pass: Uint8Array; source: string }> {
    const file = this.globals.passwordFile ?? this.env.EMR_PASSWORD_FILE;
    if (file) {
      let text: Buffer;
      try {
        text = readFileSync(file);
      } catch (e) {
        throw new UsageError(`cannot read password file ${file}`, { hint: 'check the path given to --password-file / EMR_PASSWORD_FILE', cause: e });
      }
      // Like geth and cast: the first line is the passphrase; its newline is not part of it.
      let end = text.indexOf(0x0a);
      if (end < 0) end = text.length;
      if (end > 0 && text[end - 1] === 0x0d) end--;
      const pass = this.holdSecret(Buffer.from(text.subarray(0, end)));
      text.fill(0);
      return { pass, source: this.globals.passwordFile ? '--password-file' : 'EMR_PASSWORD_FILE' };
    }
    if (this.env.EMR_PASSWORD !== undefined) return { pass: this.holdSecret(Buffer.from(this.env.EMR_PASSWORD, 'utf8')), source: 'EMR_PASSWORD' };
    if (!this.interactive) {
      throw new UsageError(`a passphrase is needed to ${purpose}, and there is no terminal to ask on`, {
        hint: 'pass --password-file <file> (or set EMR_PASSWORD_FILE or EMR_PASSWORD)',
      });
    }
    const { password } = await import('@inquirer/prompts');
    const ask = (message: string) =>
      password({ message, mask: true }, { input: this.io.stdin as NodeJS.ReadStream, output: this.io.stderr as NodeJS.WriteStream });
    const prompted = (p: string) => ({ pass: this.holdSecret(Buffer.from(p, 'utf8')), source: 'prompt' });
    for (;;) {
      const first = await ask(`Passphrase to ${purpose}:`);
      if (!opts.confirm && !opts.newKey) return prompted(first);
      if (opts.newKey) {
        const { judgePassphrase, PASSPHRASE_HINT } = await import('./identity/passphrase-rules.js');
        const v = await judgePassphrase(first, opts.newKey);
        if (!v.ok) {
          this.io.stderr.write(`That passphrase is refused: ${v.reason}.\nhint: ${PASSPHRASE_HINT}\n`);
          continue;
        }
      }
      const again = await ask('Repeat the passphrase:');
      if (again === first) return prompted(first);
      this.io.stderr.write('The two entries differ; try again.\n');
    }
  }

  /** Asks yes/no on a TTY; `--yes` answers yes; without a TTY the answer is no. */
  async confirm(message: string): Promise<boolean> {
    if (this.globals.yes) return true;
    if (!this.interactive) return false;
    const { confirm } = await import('@inquirer/prompts');
    return confirm({ message, default: false }, { input: this.io.stdin as NodeJS.ReadStream, output: this.io.stderr as NodeJS.WriteStream });
  }

  /**
   * A spinner on stderr for people at a terminal; silent in JSON mode, in pipes, and on a
   * pseudo-terminal that reports 0 columns (cron's `script`, some `docker exec -t`): there a
   * spinner cannot measure its line and redraws without end, so it counts as no terminal.
   * The spinner is never forced on: ora's own checks (TERM=dumb, CI) still apply.
   */
  async progress(text: string): Promise<Progress> {
    if (this.json || !isTerminal(this.io.stderr)) return noProgress;
    const { default: ora } = await import('ora');
    const spinner = ora({ text, stream: this.io.stderr as NodeJS.WriteStream, color: 'cyan' });
    if (!spinner.isEnabled) return noProgress;
    spinner.start();
    this.onClose(() => {
      if (spinner.isSpinning) spinner.stop();
    });
    return {
      update: (t) => void (spinner.text = t),
      succeed: (t) => void spinner.succeed(t),
      fail: (t) => void spinner.fail(t),
      stop: () => void spinner.stop(),
    };
  }

  /** A line of narration for people (the demo, --follow): stdout, or stderr in JSON mode. */
  narrate(line: string): void {
    (this.json ? this.io.stderr : this.io.stdout).write(line + '\n');
  }
}
