/**
 * `emr contacts accept <who>` (docs/SHARING.md § 8.3): pin the key the chain shows now for
 * an address, replacing the one pinned before — after the user learnt, out of band, that
 * the party really changed its key. The read is still cross-checked on every `--rpc-url`
 * (§ 8.4). The contract's own address stands for the consortium emergency key (§ 8.2).
 */
import { emergencyRecipient } from '../chain/emergency-recipient.js';
import type { EmrChain } from '../chain/types.js';
import { whoisForEncryption } from '../chain/whois.js';
import { ContactBook, describeContact, fingerprint } from '../contacts.js';
import { parseRecipient } from '../crypto/identity.js';
import { IntegrityError, NotFoundError, UsageError } from '../errors.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';

export async function acceptContact(s: With<'chain'>, who: string) {
  const address = await resolveAddress(s.ctx, who);
  if (actingAddress(s) === address.toLowerCase()) {
    throw new UsageError('your own key is checked against your keystore, not the contact book', {
      hint: 'if the chain shows another key for you, run `emr register` to publish this keystore’s key',
    });
  }
  // The read without the pin check (that is what is being replaced), on every endpoint.
  const { vetRecipient: _pinned, ...bare } = s.chain;
  const chain: EmrChain = bare;
  const isContract = address.toLowerCase() === chain.address.toLowerCase();
  const recipient = isContract ? await emergencyRecipient(chain) : (await whoisForEncryption(chain, address)).recipient;
  if (!recipient) {
    throw new NotFoundError(`${address} has no key on chain`, { hint: 'they must run `emr register` first' });
  }
  try {
    parseRecipient(recipient);
  } catch (e) {
    throw new IntegrityError(`the key ${address} published is not a valid age recipient: not accepted`, { cause: e });
  }
  const now = s.ctx.clock.now().toISOString();
  const previous = ContactBook.update(s.ctx.home, (b) => {
    const had = b.get(address);
    const same = had?.recipient === recipient;
    b.set({
      address: had?.address ?? address,
      recipient,
      firstSeen: same ? had.firstSeen : now,
      ...(had && !same ? { acceptedAt: now } : had?.acceptedAt ? { acceptedAt: had.acceptedAt } : {}),
      ...(had?.name ? { name: had.name } : {}),
    });
    return had;
  });
  const after = ContactBook.load(s.ctx.home).get(address)!;
  return {
    ...describeContact(after),
    changed: !!previous && previous.recipient !== recipient,
    previous: previous ? { recipient: previous.recipient, fingerprint: fingerprint(previous.recipient) } : null,
  };
}

function actingAddress(s: With<'chain'>): string | null {
  try {
    return s.ctx.profile().address.toLowerCase();
  } catch {
    return null;
  }
}
