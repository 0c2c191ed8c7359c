/**
 * `emr contacts forget <who>` (docs/SHARING.md § 8.1): remove a contact; the next key seen
 * for the address is pinned anew on first use.
 */
import { ContactBook, describeContact } from '../contacts.js';
import { NotFoundError } from '../errors.js';
import type { SessionBase } from '../session/base.js';
import { resolveAddress } from '../session/resolve.js';

export async function forgetContact(s: SessionBase, who: string) {
  const address = await resolveAddress(s.ctx, who);
  const gone = ContactBook.update(s.ctx.home, (b) => {
    const c = b.get(address);
    b.delete(address);
    return c;
  });
  if (!gone) throw new NotFoundError(`${address} is not in the contact book`, { hint: 'list them with `emr contacts list`' });
  return { forgotten: describeContact(gone) };
}
