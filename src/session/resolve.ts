/**
 * docs/CLI.md § Global behaviour: "Addresses are accepted as 0x… (checksummed or not) or as a
 * local profile name". A recipient (`--to`) may also be an age recipient string.
 */

import { ContactBook } from '../contacts.js';
import type { Context } from '../context.js';
import { toChecksumAddress } from '../crypto/address.js';
import { parseRecipient } from '../crypto/identity.js';
import { NotFoundError, UsageError } from '../errors.js';

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

export function isAddress(s: string): boolean {
  return ADDRESS_RE.test(s);
}

/** A contact name may be no valid profile name ("Dr House"): that is not a usage error here. */
function isProfileName(ctx: Context, who: string): boolean {
  try {
    return ctx.profiles.exists(who);
  } catch (e) {
    if (e instanceof UsageError) return false;
    throw e;
  }
}

/** A checksummed address for `who` (an address or a local profile name). */
export async function resolveAddress(ctx: Context, who: string): Promise<string> {
  if (isAddress(who)) {
    const sum = toChecksumAddress(who);
    // Mixed case that fails EIP-55 is a typo, not an address.
    if (sum === null) throw new UsageError(`bad address checksum: ${who}`, { hint: 'check the address, or write it all lower-case' });
    return sum;
  }
  if (/^0x/i.test(who)) throw new UsageError(`not an address: ${who}`, { hint: 'an address is 0x followed by 40 hex digits' });
  if (isProfileName(ctx, who)) return ctx.profiles.get(who).address;
  // A contact's local name (SHARING.md § 8.5); a profile of the same name wins.
  const contact = ContactBook.load(ctx.home).byName(who);
  if (contact) return contact.address;
  throw new NotFoundError(`no profile, contact or address '${who}'`, { hint: ctx.profiles.unknownNameHint(who, 'give a 0x address') });
}

/**
 * The age recipient for `who`: an `age1…` string as it is, a local profile's recipient, or a
 * registered address's published recipient (looked up on chain only when not local, with
 * `lookup`: session/chain.ts `lookupRecipient`, passed in so that encrypting to local
 * recipients never loads the chain client).
 */
export async function resolveRecipient(ctx: Context, who: string, lookup?: (address: string) => Promise<string>): Promise<string> {
  if (/^age1/i.test(who)) {
    parseRecipient(who); // throws UsageError with a hint when malformed
    return who;
  }
  if (isAddress(who)) {
    const local = ctx.profiles.byAddress(who);
    if (local) return local.recipient;
    if (!lookup) throw new NotFoundError(`${who} is no local profile`, { hint: 'give their age1… recipient or a profile name' });
    return lookup(who);
  }
  if (ctx.profiles.exists(who)) return ctx.profiles.get(who).recipient;
  throw new NotFoundError(`unknown recipient '${who}'`, {
    hint: ctx.profiles.unknownNameHint(who, 'give an age1… recipient or a registered 0x address'),
  });
}
