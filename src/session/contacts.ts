/**
 * Trust on first use of the keys found on chain (docs/SHARING.md § 8.2). The chain client of
 * every run carries this check (session/chain.ts): whatever encrypts to a party read from
 * chain (grant and key delivery, record add, re-key, emergency release, whois, encrypt
 * --to 0x…) goes through chain/whois.ts `whoisForEncryption`, which calls it.
 */

import { type Contact, ContactBook, fingerprint } from '../contacts.js';
import type { Context } from '../context.js';
import { parseRecipient } from '../crypto/identity.js';
import { IntegrityError } from '../errors.js';

/** The check `chain.vetRecipient` runs: pin on first sight, refuse a changed key. */
export function recipientGuard(ctx: Context): (address: string, recipient: string) => Promise<void> {
  // Pairs this run already vetted: one address's key is checked once per run, not once per
  // record (a 1,000-row batch read the book 1,000 times; issue 26 § 2). A pair is added only
  // after it passed, so a changed key is refused every time it is seen.
  const vetted = new Set<string>();
  const pin = pinner(ctx);
  return async (address, recipient) => {
    const pair = `${address.toLowerCase()} ${recipient}`;
    if (vetted.has(pair)) return;
    // A key that is not an age recipient is never pinned nor encrypted to: the caller skips
    // or refuses it for what it is (SHARING.md § 1.5).
    try {
      parseRecipient(recipient);
    } catch {
      return;
    }
    // § 8.2: the acting profile's own key is known for certain: its keystore.
    const me = actingProfile(ctx);
    if (me && me.address.toLowerCase() === address.toLowerCase()) {
      if (me.recipient !== recipient) {
        throw new IntegrityError(
          `the chain shows another key for your own address ${address}: ${fingerprint(recipient)}, your keystore holds ${fingerprint(me.recipient)}`,
          {
            hint: 'the chain endpoint is lying or you registered another key: nothing was encrypted; check --rpc-url, or run `emr register` to publish this keystore’s key',
            details: { address, pinned: fingerprint(me.recipient), seen: fingerprint(recipient) },
          },
        );
      }
      vetted.add(pair);
      return;
    }
    // Not in the book: pinned (durably, § 8.1) before this returns, so before anything is encrypted to it.
    const known = ContactBook.load(ctx.home).get(address) ?? (await pin(address, recipient));
    if (known.recipient !== recipient) throw keyChanged(address, known.recipient, recipient);
    vetted.add(pair);
  };
}

/**
 * Pins keys first seen, several in one write of the book: the keys asked for in one turn of
 * the event loop (a batch's concurrent lookups of its patients, answered in one JSON-RPC
 * batch) share one atomic rewrite and its two fsyncs, where each used to pay its own (~5 ms
 * of wall each, 50 for a 50-patient batch; issue 26 § 2). Resolves to the contact the book
 * holds for the address after the write: the one another run pinned meanwhile (checked on
 * the fresh read), else the first key asked for.
 */
function pinner(ctx: Context): (address: string, recipient: string) => Promise<Contact> {
  interface Round {
    pins: Map<string, { address: string; recipient: string }>;
    written: Promise<Map<string, Contact>>;
  }
  let next: Round | undefined;
  return (address, recipient) => {
    if (!next) {
      // Written once this turn of the event loop is over (its other lookups have joined).
      const round: Round = {
        pins: new Map(),
        written: new Promise<void>((r) => setImmediate(r)).then(() => {
          if (next === round) next = undefined;
          return ContactBook.update(ctx.home, (b) => {
            const held = new Map<string, Contact>();
            const firstSeen = ctx.clock.now().toISOString();
            for (const [k, p] of round.pins) {
              let c = b.get(p.address);
              if (!c) b.set((c = { address: p.address, recipient: p.recipient, firstSeen }));
              held.set(k, c);
            }
            return held;
          });
        }),
      };
      next = round;
    }
    const key = address.toLowerCase();
    // The same address twice in one round: the first key asked for is the one pinned.
    if (!next.pins.has(key)) next.pins.set(key, { address, recipient });
    return next.written.then((held) => held.get(key)!);
  };
}

/** § 8.2: the one-line refusal of a changed key, with the command that accepts it. */
export function keyChanged(address: string, pinned: string, seen: string): IntegrityError {
  return new IntegrityError(`the key of ${address} changed: pinned ${fingerprint(pinned)}, the chain now shows ${fingerprint(seen)}`, {
    hint: `nothing was encrypted to it; if they really changed their key, run \`emr contacts accept ${address}\``,
    details: { address, pinned: fingerprint(pinned), seen: fingerprint(seen) },
  });
}

function actingProfile(ctx: Context): { address: string; recipient: string } | null {
  try {
    return ctx.profile();
  } catch {
    return null;
  }
}
