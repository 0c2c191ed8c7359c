/**
 * Local identities ("profiles") under the home (docs/KEYSTORE.md § 4):
 *
 *   <home>/keystore/<name>.json   Web3 Secret Storage v3, mode 0600 (cast/geth/ethers open it)
 *   <home>/profiles/<name>.json   public facts: address, role, identity kind, age recipient
 *
 * The public file lets `key list`, `whois` and encryption to a local profile work without
 * unlocking anything.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { didYouMean } from '../suggest.js';
import type { IdentityKind } from './derive.js';
import { type KeystoreV3, parseKeystore } from './keystore-v3.js';
import { checkProfileName, type Role } from './profile-name.js';

export { checkProfileName, ROLES, type Role } from './profile-name.js';

export interface Profile {
  name: string;
  /** 0x-prefixed, EIP-55 checksummed. */
  address: string;
  role: Role;
  identityKind: IdentityKind;
  /** The age recipient others encrypt to. */
  recipient: string;
  createdAt: string;
}

/** Primary order of the characters a name may hold (NAME_RE), as ICU's root collation has them. */
const PRIMARY = '_-.0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * The order `localeCompare` gave for names (ASCII, NAME_RE): letters case-insensitively,
 * `_` `-` `.` before digits before letters; then, letter by letter, lowercase first. Without
 * building an ICU collator, ~6 ms of every command that resolves a profile by address
 * (issue 11 goal 3). Two names can share an address, and the first in this order is the one
 * shown for it, so the order is kept (helper-24's review found the first version changed it).
 */
export function compareProfileNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = PRIMARY.indexOf(a[i]!.toLowerCase()) - PRIMARY.indexOf(b[i]!.toLowerCase());
    if (d !== 0) return d;
  }
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < n; i++) {
    const x = a[i]! !== a[i]!.toLowerCase();
    const y = b[i]! !== b[i]!.toLowerCase();
    if (x !== y) return x ? 1 : -1;
  }
  return 0;
}

function byName(a: Profile, b: Profile): number {
  return compareProfileNames(a.name, b.name);
}

export class ProfileStore {
  /** byAddress's index, valid while the profiles directory's mtime is `mtimeMs`. */
  private index: { mtimeMs: number; byAddress: Map<string, Profile> } | undefined;

  constructor(readonly home: string) {}

  keystorePath(name: string): string {
    return join(this.home, 'keystore', `${checkProfileName(name)}.json`);
  }
  private profilePath(name: string): string {
    return join(this.home, 'profiles', `${checkProfileName(name)}.json`);
  }

  exists(name: string): boolean {
    return existsSync(this.profilePath(name)) || existsSync(this.keystorePath(name));
  }

  /** The profile names, from the file names alone (nothing parsed). */
  names(): string[] {
    const dir = join(this.home, 'profiles');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map((f) => f.slice(0, -5));
  }

  /** The hint for a name that is no profile: the close ones first (docs/CLI.md § Global behaviour). */
  unknownNameHint(name: string, also = 'create one with `emr keygen --name <profile>`'): string {
    const mean = didYouMean(name, this.names());
    return mean ? `${mean.trim()} (\`emr key list\` shows them all)` : `see \`emr key list\`, or ${also}`;
  }

  list(): Profile[] {
    const dir = join(this.home, 'profiles');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map((f) => this.get(f.slice(0, -5)))
      .sort(byName);
  }

  get(name: string): Profile {
    const p = this.profilePath(name);
    if (!existsSync(p)) {
      throw new NotFoundError(`no profile named '${name}'`, { hint: this.unknownNameHint(name) });
    }
    return JSON.parse(readFileSync(p, 'utf8')) as Profile;
  }

  /** Finds a profile by address (case-insensitive), or undefined. */
  byAddress(address: string): Profile | undefined {
    // Human output names every address it prints (Context.label): `record list --details`
    // of 1,000 records read every profile file 1,000 times (~0.4 s of 3 s, bench:list).
    // Every write is a temp file renamed into the directory, which moves its mtime.
    let mtimeMs: number;
    try {
      mtimeMs = statSync(join(this.home, 'profiles')).mtimeMs;
    } catch {
      return undefined;
    }
    if (this.index?.mtimeMs !== mtimeMs) {
      const byAddress = new Map<string, Profile>();
      for (const p of this.list()) if (!byAddress.has(p.address.toLowerCase())) byAddress.set(p.address.toLowerCase(), p);
      this.index = { mtimeMs, byAddress };
    }
    return this.index.byAddress.get(address.toLowerCase());
  }

  readKeystore(name: string): KeystoreV3 {
    const p = this.keystorePath(name);
    if (!existsSync(p)) {
      throw new NotFoundError(`profile '${name}' has no keystore`, { hint: `expected ${p}` });
    }
    // docs/KEYSTORE.md § 2.1: the same parser as `key import`, so what imports also unlocks
    // (an ethers v6 keystore's "Crypto" reached decryptKeystore as crypto: undefined).
    return parseKeystore(readFileSync(p, 'utf8'));
  }

  /**
   * Saves a new profile. The keystore is written first (atomically, 0600, never replacing an
   * existing file unless `force`); the public file second, so a crash leaves at worst a
   * keystore without its public facts, never public facts without a key.
   */
  save(profile: Profile, keystore: KeystoreV3 | string, opts: { force?: boolean } = {}): void {
    if (!opts.force && this.exists(profile.name)) {
      throw new UsageError(`profile '${profile.name}' already exists`, {
        hint: 'choose another --name, or pass --force to replace it (the old key is lost unless backed up)',
      });
    }
    mkdirSync(join(this.home, 'keystore'), { recursive: true, mode: 0o700 });
    // An imported keystore is kept byte-for-byte (text); a new one is serialized here.
    const text = typeof keystore === 'string' ? keystore : JSON.stringify(keystore, null, 2) + '\n';
    writeFileAtomic(this.keystorePath(profile.name), text, { mode: 0o600, overwrite: !!opts.force });
    writeFileAtomic(this.profilePath(profile.name), JSON.stringify(profile, null, 2) + '\n', { mode: 0o644, overwrite: !!opts.force });
  }

  /**
   * Replaces an existing profile's keystore (`emr key passwd`): a temporary file beside it
   * (0600, fsynced), renamed over it, so a crash leaves the old keystore or the new one,
   * never half of either (docs/KEYSTORE.md § 5).
   */
  replaceKeystore(name: string, keystore: KeystoreV3): void {
    if (!existsSync(this.keystorePath(name))) throw new NotFoundError(`profile '${name}' has no keystore`, { hint: 'see `emr key list`' });
    writeFileAtomic(this.keystorePath(name), JSON.stringify(keystore, null, 2) + '\n', { mode: 0o600, overwrite: true });
  }
}
