import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../src/bounded-memo.js';

describe('BoundedMemo (the address, parsed-address and x25519 key memos)', () => {
  it('answers what it was told, holds at most max answers, and starts again empty when full', () => {
    const memo = new BoundedMemo<string, number>(3);
    expect(memo.set('a', 1)).toBe(1);
    memo.set('b', 2);
    memo.set('c', 3);
    expect([memo.get('a'), memo.get('b'), memo.get('c'), memo.size]).toEqual([1, 2, 3, 3]);
    memo.set('d', 4);
    expect(memo.size).toBe(1);
    expect([memo.get('a'), memo.get('d')]).toEqual([undefined, 4]);
    for (let i = 0; i < 1000; i++) memo.set(`k${i}`, i);
    expect(memo.size).toBeLessThanOrEqual(3);
  });

  it('remembers a null answer apart from none (an invalid address is an answer)', () => {
    const memo = new BoundedMemo<string, string | null>(2);
    memo.set('bad', null);
    expect(memo.get('bad')).toBeNull();
    expect(memo.get('unknown')).toBeUndefined();
  });
});
