/**
 * Text sealed to the patient on chain (docs/CONTRACT.md § Privacy): an access request's types
 * and reason, and an erasure's reason. In-process: seal, open, and refuse hostile chain text.
 */
import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../../src/crypto/identity.js';
import { openEraseReason, sealEraseReason } from '../../src/records/erase-reason.js';
import { isSealed, openSealedRequest, SEALED_PREFIX, sealRequest } from '../../src/records/sealed-request.js';

const alice = generateIdentity();
const bob = generateIdentity();

describe('sealed chain text', () => {
  it('a request opens for its patient only, types and reason as sealed', async () => {
    const sealed = await sealRequest(alice.recipient, { types: ['lab', 'imaging'], reason: 'follow-up' });
    expect(isSealed(sealed)).toBe(true);
    expect(await openSealedRequest(sealed, alice.identity)).toEqual({ types: ['lab', 'imaging'], reason: 'follow-up' });
    expect(await openSealedRequest(sealed, bob.identity)).toBeUndefined();
  });

  it('an erasure reason opens for its patient only, padded to one length whatever its size', async () => {
    const short = await sealEraseReason(alice.recipient, 'x');
    const long = await sealEraseReason(alice.recipient, 'entered for the wrong patient, see ticket 4411');
    expect(short.length).toBe(long.length);
    expect(await openEraseReason(long, alice.identity)).toBe('entered for the wrong patient, see ticket 4411');
    expect(await openEraseReason(short, bob.identity)).toBeUndefined();
  });

  it('hostile chain text opens to nothing: not sealed, not base64 age, too long, or the other kind', async () => {
    const request = await sealRequest(alice.recipient, { types: ['lab'], reason: 'r' });
    const erase = await sealEraseReason(alice.recipient, 'r');
    for (const text of ['plain reason', `${SEALED_PREFIX}AAAA`, SEALED_PREFIX + 'A'.repeat(5000), erase]) {
      expect(await openSealedRequest(text, alice.identity)).toBeUndefined();
    }
    for (const text of ['plain reason', `${SEALED_PREFIX}AAAA`, SEALED_PREFIX + 'A'.repeat(5000), request]) {
      expect(await openEraseReason(text, alice.identity)).toBeUndefined();
    }
  });
});
