/**
 * Everything a command may use reaches it through this object: config, keystore, chain
 * client, record store, prompts, clock, output streams. Nothing module-level; heavy modules
 * (ethers, IPFS, prompts, spinners) load only when a command asks for them.
 */
import type { Command } from 'commander';
import { Config } from './config.js';
import { ContactBook } from './contacts.js';
import { NotFoundError, UsageError } from './errors.js';
import { type Profile, ProfileStore } from './keys/profiles.js';

export interface GlobalOptions {
  home: string;
  /** The user named the home (--home or EMR_HOME), rather than the OS default. */
  homeExplicit?: boolean;
  profile?: string;
  json: boolean;
  rpcUrl?: string;
  /** Further endpoints (--rpc-url repeated) the keys read are cross-checked on (SHARING.md § 8.4). */
  rpcWitnesses?: string[];
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

export class Context {
  readonly config: Config;
  readonly profiles: ProfileStore;
  readonly clock: Clock;
  /** Buffers holding secrets; zeroed by close(). */
  private readonly secrets: Uint8Array[] = [];
  private readonly closers: Array<() => Promise<void> | void> = [];
  /** Set by close(): work that outlives the command (an unlock started in the background) cleans up at once. */
  private closed = false;
  /** Per-run cache of lazily built services (chain client, record store, unlocked keys). */
  readonly cache = new Map<string, unknown>();
  /** The whole command tree of this run (for `emr completion`), set by cli.ts. */
  program?: Command;

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
  /** Registers a secret buffer to be zeroed when the command ends. */
  holdSecret<T extends Uint8Array>(b: T): T {
    // An unlock that finishes after the command ended (batch add and encrypt start one
    // beside other work; a refusal returns without it) must not leave its key behind.
    if (this.closed) b.fill(0);
    else this.secrets.push(b);
    return b;
  }

  onClose(fn: () => Promise<void> | void): void {
    if (this.closed) {
      void Promise.resolve()
        .then(fn)
        .catch(() => undefined);
      return;
    }
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
    this.closed = true;
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

  /** --password-file, EMR_PASSWORD_FILE or EMR_PASSWORD names the passphrase (docs/CLI.md § Global behaviour). */
  get hasPassphraseSource(): boolean {
    return !!(this.globals.passwordFile ?? this.env.EMR_PASSWORD_FILE) || this.env.EMR_PASSWORD !== undefined;
  }

  /** Whether the passphrase will come from a person at a terminal (who may retry a typo). */
  get passphraseIsPrompted(): boolean {
    return !this.hasPassphraseSource && this.interactive;
  }

  /**
   * How a person is named in human output: a local profile's name, else the address.
   * `withAddress` keeps the address and adds the name ("0x… (dr-bob)"); `short` cuts an
   * unknown address to its first 10 characters (for table columns). `profile` is the bare
   * local name or null (JSON fields: a name there is never an address).
   */
  label(address: string, form: 'profile' | 'contact'): string | null;
  label(address: string, form?: 'name' | 'withAddress' | 'short'): string;
  label(address: string, form: 'name' | 'withAddress' | 'short' | 'profile' | 'contact' = 'name'): string | null {
    if (form === 'contact') return this.contactName(address);
    const profile = this.profiles.byAddress(address)?.name;
    if (form === 'profile') return profile ?? null;
    // A local profile's name first, else the contact's local name (SHARING.md § 8.5).
    const name = profile ?? this.contactName(address) ?? undefined;
    if (form === 'withAddress') return name ? `${address} (${name})` : address;
    if (form === 'short') return name ?? `${address.slice(0, 10)}…`;
    return name ?? address;
  }

  /**
   * `label(address, form)` for one listing: each address looked up once. A lookup stats
   * profiles/ (ProfileStore.byAddress notices a profile added meanwhile), and a listing of
   * 1,000 records asked it 2,000 times for a handful of addresses (~0.1 s, issue 26 § 4).
   */
  labeler(form: 'name' | 'withAddress' | 'short' = 'name'): (address: string) => string {
    const names = new Map<string, string>();
    return (a) => names.get(a) ?? names.set(a, this.label(a, form)).get(a)!;
  }

  private contacts: Map<string, string> | null = null;

  /** The contact book's local name for `address`, or null; an unreadable book names nobody here. */
  private contactName(address: string): string | null {
    if (!this.contacts) {
      this.contacts = new Map();
      try {
        for (const c of ContactBook.load(this.home).list()) if (c.name) this.contacts.set(c.address.toLowerCase(), c.name);
      } catch {
        // Labels are decoration: a malformed book is refused where it matters (keys), not here.
      }
    }
    return this.contacts.get(address.toLowerCase()) ?? null;
  }

  /** A line of narration for people (the demo, --follow): stdout, or stderr in JSON mode. */
  narrate(line: string): void {
    (this.json ? this.io.stderr : this.io.stdout).write(line + '\n');
  }
}
