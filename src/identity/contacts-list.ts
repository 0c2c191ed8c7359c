/**
 * `emr contacts [list]` and `emr contacts show <who>` (docs/CLI.md § contacts): the
 * contact book as it is, without the chain (docs/SHARING.md § 8).
 */
import { ContactBook, describeContact } from '../contacts.js';
import { NotFoundError } from '../errors.js';
import type { SessionBase } from '../session/base.js';
import { resolveAddress } from '../session/resolve.js';

export function listContacts(s: SessionBase) {
  const contacts = ContactBook.load(s.ctx.home)
    .list()
    .map((c) => ({ ...describeContact(c), profile: s.ctx.label(c.address, 'profile') }));
  contacts.sort((a, b) => (a.name ?? a.address).localeCompare(b.name ?? b.address));
  return { contacts };
}

export async function showContact(s: SessionBase, who: string) {
  const address = await resolveAddress(s.ctx, who);
  const c = ContactBook.load(s.ctx.home).get(address);
  if (!c) {
    throw new NotFoundError(`${address} is not in the contact book`, {
      hint: 'a contact is added the first time its key is used (grant, record add, whois)',
    });
  }
  return { ...describeContact(c), profile: s.ctx.label(c.address, 'profile') };
}
