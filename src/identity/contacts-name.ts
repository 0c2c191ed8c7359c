/**
 * `emr contacts name <who> <name>` (docs/SHARING.md § 8.5): a local name for a remote party,
 * shown beside its address and accepted wherever an address is. A party not yet in the book
 * is met first (its key read and pinned, § 8.2), so a name always belongs to a pinned key.
 */
import { whoisForEncryption } from '../chain/whois.js';
import { ContactBook, checkContactName, describeContact } from '../contacts.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { SessionBase } from '../session/base.js';
import { chainFor } from '../session/chain.js';
import { resolveAddress } from '../session/resolve.js';

export async function nameContact(s: SessionBase, who: string, name: string) {
  const n = checkContactName(name);
  const address = await resolveAddress(s.ctx, who);
  if (s.ctx.profiles.list().some((p) => p.name.toLowerCase() === n.toLowerCase())) {
    throw new UsageError(`'${n}' is the name of a local profile`, { hint: 'choose another name: a profile name always means the profile' });
  }
  const book = ContactBook.load(s.ctx.home);
  const taken = book.byName(n);
  if (taken && taken.address.toLowerCase() !== address.toLowerCase()) {
    throw new UsageError(`'${n}' already names ${taken.address}`, { hint: 'choose another name, or rename that contact first' });
  }
  // Only the chain when the party is new here (naming a known contact works offline).
  if (!book.get(address)) await whoisForEncryption(await chainFor(s.ctx), address);
  const named = ContactBook.update(s.ctx.home, (b) => {
    const c = b.get(address);
    if (c) b.set({ ...c, name: n });
    return c;
  });
  if (!named) {
    throw new NotFoundError(`${address} has no key on chain to pin`, {
      hint: 'a contact is a registered party other than yourself; they must run `emr register` first',
    });
  }
  return describeContact({ ...named, name: n });
}
