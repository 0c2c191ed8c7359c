/**
 * From recipient/identity strings to stanzas and back to the file key.
 */
import { IntegrityError, UsageError } from '../errors.js';
import { MAX_STANZAS } from './header.js';
import { type ParsedIdentity, parseIdentity, parseRecipient } from './identity.js';
import type { FileKey } from './keys.js';
import { unwrapMlkem768x25519, wrapMlkem768x25519 } from './mlkem768x25519-stanza.js';
import type { Stanza } from './stanza.js';
import { x25519Agreer } from './x25519.js';
import { unwrapX25519, wrapX25519 } from './x25519-stanza.js';

/**
 * One stanza per recipient. Like age 1.3, refuses to mix post-quantum and classic
 * recipients: the file would only be as strong as its weakest stanza.
 */
export function wrapForRecipients(fileKey: FileKey, recipients: readonly string[]): Stanza[] {
  if (recipients.length === 0) {
    throw new UsageError('no recipients', { hint: 'name at least one recipient (age1… or age1pq1…)' });
  }
  if (recipients.length > MAX_STANZAS) {
    // FORMAT.md § 1.3: readers refuse such a header, so never write one.
    throw new UsageError(`too many recipients (${recipients.length}; at most ${MAX_STANZAS})`, { hint: 'encrypt to fewer readers' });
  }
  const parsed = recipients.map(parseRecipient);
  const kinds = new Set(parsed.map((p) => p.kind));
  if (kinds.size > 1) {
    throw new UsageError('cannot mix post-quantum (age1pq1…) and X25519 (age1…) recipients', {
      hint: 'the file would only be as strong as its weakest recipient; use one kind for all',
    });
  }
  return parsed.map((p) => (p.kind === 'x25519' ? wrapX25519(fileKey, p.publicKey) : wrapMlkem768x25519(fileKey, p.publicKey)));
}

function wipeIdentity(id: ParsedIdentity): void {
  if (id.kind === 'x25519') id.secretKey.fill(0);
  else id.seed.fill(0);
}

/**
 * Tries every identity on every stanza, stopping at the first that opens; unknown stanza
 * types, and known types the identity is not of, are skipped without any key agreement
 * (age.md). The header parser has already bounded the stanza count (MAX_STANZAS), so the
 * worst case is MAX_STANZAS key agreements per identity.
 */
export function unwrapFileKey(stanzas: readonly Stanza[], identities: readonly string[]): FileKey {
  if (identities.length === 0) {
    throw new UsageError('no identities to decrypt with', { hint: 'pass at least one AGE-SECRET-KEY-… identity' });
  }
  const parsed = identities.map(parseIdentity);
  try {
    for (const id of parsed) {
      // One private-key import per identity, not per stanza.
      const agree = id.kind === 'x25519' ? x25519Agreer(id.secretKey) : null;
      for (const s of stanzas) {
        const key = id.kind === 'x25519' ? unwrapX25519(s, id.secretKey, id.publicKey, agree!) : unwrapMlkem768x25519(s, id.seed);
        if (key) return key;
      }
    }
  } finally {
    parsed.forEach(wipeIdentity);
  }
  throw new NoMatchingIdentityError('no identity matches this file', {
    hint: 'the file is not addressed to these identities',
  });
}

/**
 * No stanza opened with the identities given. Still INTEGRITY (exit 4) to the user — a file
 * for someone else — but callers that have another way in (a delivered file key) must tell
 * it apart from damaged bytes.
 */
export class NoMatchingIdentityError extends IntegrityError {}
