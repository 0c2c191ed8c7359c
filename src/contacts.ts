/**
 * The contact book (docs/SHARING.md § 8): address → the encryption recipient first seen for
 * it on chain, pinned like ssh's known_hosts, plus an optional local name. One file per home,
 * `<home>/contacts.json`, read whole (bounded) and replaced atomically.
 *
 * The file is the user's, but it decides whom keys are encrypted to: anything that is not
 * exactly the format of § 8.1 is refused (INTEGRITY), never half-trusted.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { IntegrityError, UsageError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { readFileAtMost } from './read-bounded.js';

export const CONTACTS_FILE = 'contacts.json';
/** § 8.1 bounds: enough for a clinic's every correspondent, small enough to read per command. */
export const MAX_CONTACTS = 4096;
export const MAX_CONTACTS_BYTES = 8 << 20;
export const MAX_NAME_CHARS = 64;
/** The longest recipient the contract accepts is 1959 bytes (docs/CONTRACT.md § Recipients). */
const MAX_RECIPIENT = 2048;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
/** An age recipient: `age1` or `age1pq1`, then lower-case bech32 data (docs/CONTRACT.md § Recipients). */
const RECIPIENT_RE = /^age1(?:pq1)?[02-9ac-hj-np-z]+$/;

export interface Contact {
  /** Checksummed, as first seen. */
  address: string;
  recipient: string;
  /** ISO time the recipient was first pinned (or last accepted). */
  firstSeen: string;
  /** ISO time of the last `emr contacts accept` that replaced a key, if any. */
  acceptedAt?: string;
  /** A local name for the party (never published). */
  name?: string;
}

/** `SHA256:` and the unpadded base64 of sha256(recipient), as ssh prints host keys. */
export function fingerprint(recipient: string): string {
  return `SHA256:${createHash('sha256').update(recipient, 'utf8').digest('base64').replace(/=+$/, '')}`;
}

/** A local name: 1–64 characters, no control characters, not an address or a recipient. */
export function checkContactName(name: string): string {
  const n = name.trim();
  if (n === '' || [...n].length > MAX_NAME_CHARS || /[\p{Cc}\p{Cf}\u2028\u2029]/u.test(n) || /^0x/i.test(n) || /^age1/i.test(n)) {
    throw new UsageError(`not a usable contact name: ${JSON.stringify(name.slice(0, 80))}`, {
      hint: `1 to ${MAX_NAME_CHARS} printable characters, not starting with 0x or age1`,
    });
  }
  return n;
}

export class ContactBook {
  private constructor(
    readonly path: string,
    private readonly byAddress: Map<string, Contact>,
  ) {}

  /** The book of `home`; an absent file is an empty book. Malformed or too large: INTEGRITY. */
  static load(home: string): ContactBook {
    const path = join(home, CONTACTS_FILE);
    let raw: Buffer | null;
    try {
      raw = readFileAtMost(path, MAX_CONTACTS_BYTES);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new ContactBook(path, new Map());
      throw e;
    }
    if (raw === null) throw bad(path, `is too large (over ${MAX_CONTACTS_BYTES >> 20} MiB)`);
    return new ContactBook(path, parseBook(path, raw.toString('utf8')));
  }

  get(address: string): Contact | undefined {
    return this.byAddress.get(address.toLowerCase());
  }

  /** The contact with this local name (names compare case-insensitively). */
  byName(name: string): Contact | undefined {
    const n = name.trim().toLowerCase();
    return [...this.byAddress.values()].find((c) => c.name?.toLowerCase() === n);
  }

  list(): Contact[] {
    return [...this.byAddress.values()];
  }

  /**
   * Reads the file again, applies `change` and writes it atomically (§ 8.1): the fresh read
   * keeps what another emr process pinned in the meantime.
   */
  static update<T>(home: string, change: (book: ContactBook) => T): T {
    const fresh = ContactBook.load(home);
    const out = change(fresh);
    if (fresh.byAddress.size > MAX_CONTACTS) {
      throw new IntegrityError(`the contact book is full (${MAX_CONTACTS} contacts)`, {
        hint: 'remove contacts you no longer need: `emr contacts forget <who>`',
      });
    }
    writeFileAtomic(fresh.path, `${JSON.stringify({ version: 1, contacts: fresh.list() }, null, 1)}\n`, { overwrite: true, mode: 0o600 });
    return out;
  }

  set(c: Contact): void {
    this.byAddress.set(c.address.toLowerCase(), c);
  }

  delete(address: string): boolean {
    return this.byAddress.delete(address.toLowerCase());
  }
}

function bad(path: string, what: string): IntegrityError {
  return new IntegrityError(`the contact book ${path} ${what}`, {
    hint: 'it decides whom keys are encrypted to: restore it from a backup, or move it away to start a new one (every contact is then met anew)',
  });
}

function parseBook(path: string, text: string): Map<string, Contact> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad(path, 'is not JSON');
  }
  const d = doc as { version?: unknown; contacts?: unknown };
  if (!d || typeof d !== 'object' || d.version !== 1 || !Array.isArray(d.contacts)) throw bad(path, 'is not a version 1 contact book');
  if (d.contacts.length > MAX_CONTACTS) throw bad(path, `holds more than ${MAX_CONTACTS} contacts`);
  const out = new Map<string, Contact>();
  for (const [i, e] of d.contacts.entries()) {
    const c = e as Record<string, unknown>;
    const str = (k: string) => typeof c?.[k] === 'string';
    const ok =
      c &&
      typeof c === 'object' &&
      str('address') &&
      ADDRESS_RE.test(c.address as string) &&
      str('recipient') &&
      (c.recipient as string).length <= MAX_RECIPIENT &&
      RECIPIENT_RE.test(c.recipient as string) &&
      str('firstSeen') &&
      !Number.isNaN(Date.parse(c.firstSeen as string)) &&
      (c.acceptedAt === undefined || (str('acceptedAt') && !Number.isNaN(Date.parse(c.acceptedAt as string)))) &&
      (c.name === undefined || (str('name') && validName(c.name as string)));
    if (!ok) throw bad(path, `has a malformed entry (contacts[${i}])`);
    const key = (c.address as string).toLowerCase();
    if (out.has(key)) throw bad(path, `names ${c.address as string} twice`);
    out.set(key, {
      address: c.address as string,
      recipient: c.recipient as string,
      firstSeen: c.firstSeen as string,
      ...(c.acceptedAt === undefined ? {} : { acceptedAt: c.acceptedAt as string }),
      ...(c.name === undefined ? {} : { name: c.name as string }),
    });
  }
  return out;
}

function validName(n: string): boolean {
  try {
    return checkContactName(n) === n;
  } catch {
    return false;
  }
}

/** A contact as `emr contacts` prints it (docs/CLI.md § contacts): every field always present. */
export function describeContact(c: Contact): {
  address: string;
  name: string | null;
  recipient: string;
  fingerprint: string;
  firstSeen: string;
  acceptedAt: string | null;
} {
  return {
    address: c.address,
    name: c.name ?? null,
    recipient: c.recipient,
    fingerprint: fingerprint(c.recipient),
    firstSeen: c.firstSeen,
    acceptedAt: c.acceptedAt ?? null,
  };
}
