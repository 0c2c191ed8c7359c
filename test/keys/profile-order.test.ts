/**
 * compareProfileNames (src/keys/profiles.ts) orders every name NAME_RE allows exactly as
 * String.prototype.localeCompare did, without ICU: the first profile in this order is the
 * one shown for an address two profiles share (helper-24's review: the first version put
 * `Alice` before `alice` and `_` after the digits).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareProfileNames } from '../../src/keys/profiles.js';

const sign = (n: number) => Math.sign(n);
const ALPHABET = [...'_-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const name = fc
  .tuple(fc.constantFrom(...ALPHABET.filter((c) => /[A-Za-z0-9]/.test(c))), fc.array(fc.constantFrom(...ALPHABET), { maxLength: 8 }))
  .map(([first, rest]) => first + rest.join(''));

describe('profile names sort as localeCompare sorted them', () => {
  it('known cases: case ties lowercase first, punctuation before digits before letters', () => {
    const names = ['a_b', 'a-b', 'a.b', 'a0', 'alice', 'Alice', 'A', 'a', 'ab', 'aB', 'Ab', 'AB', 'x1', 'x10', 'x2', 'Z', 'z'];
    expect([...names].sort(compareProfileNames)).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it('any two names NAME_RE allows', () => {
    fc.assert(
      fc.property(name, name, (a, b) => sign(compareProfileNames(a, b)) === sign(a.localeCompare(b))),
      { numRuns: 5000 },
    );
  });
});
