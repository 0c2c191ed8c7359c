// SHARING.md § 8.2 through the guard every chain client carries (src/session/contacts.ts):
// keys first seen together are pinned together, in one atomic write of the book (issue 26
// § 2), and the rules stay those of § 8.2: pinned before the check returns, the first key
// of an address wins, a different one is refused.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContactBook } from '../../src/contacts.js';
import type { Context } from '../../src/context.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { recipientGuard } from '../../src/session/contacts.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'emr-guard-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const ctxOf = (h: string) =>
  ({
    home: h,
    clock: { now: () => new Date('2026-12-05T12:00:00Z') },
    profile: () => {
      throw new Error('no profile');
    },
  }) as unknown as Context;
const address = () => `0x${randomBytes(20).toString('hex')}`;
const recipient = () => generateIdentity('x25519').recipient;

describe('recipientGuard (SHARING.md § 8.2)', () => {
  it('pins keys first seen in one turn, every one of them, before any check returns', async () => {
    const guard = recipientGuard(ctxOf(home));
    const pairs = Array.from({ length: 5 }, () => ({ address: address(), recipient: recipient() }));
    await Promise.all(pairs.map((p) => guard(p.address, p.recipient)));
    const book = ContactBook.load(home);
    for (const p of pairs) expect(book.get(p.address)?.recipient).toBe(p.recipient);
    // A later check with another key for one of them is refused (§ 8.2), also by a new run.
    const other = recipient();
    await expect(guard(pairs[0]!.address, other)).rejects.toMatchObject({ code: 'INTEGRITY' });
    await expect(recipientGuard(ctxOf(home))(pairs[1]!.address, other)).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('the same address with two keys in one turn: the first is pinned, the second refused', async () => {
    const guard = recipientGuard(ctxOf(home));
    const a = address();
    const [k1, k2] = [recipient(), recipient()];
    const [first, second] = await Promise.allSettled([guard(a, k1), guard(a, k2)]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'INTEGRITY' } });
    expect(ContactBook.load(home).get(a)?.recipient).toBe(k1);
  });

  it('a key another run pinned meanwhile wins over the one this run first saw', async () => {
    const guard = recipientGuard(ctxOf(home));
    const a = address();
    const [theirs, ours] = [recipient(), recipient()];
    const check = guard(a, ours);
    // Pinned by another process between this run's read of the book and its write.
    ContactBook.update(home, (b) => b.set({ address: a, recipient: theirs, firstSeen: new Date().toISOString() }));
    await expect(check).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect(ContactBook.load(home).get(a)?.recipient).toBe(theirs);
  });
});
