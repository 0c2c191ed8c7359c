import { describe, expect, it } from 'vitest';
import { forEachInFlight } from '../src/in-flight.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('forEachInFlight (record list --details, history, batch validation, erase checks)', () => {
  it('visits every item once with its index, never more than `limit` at a time', async () => {
    const items = Array.from({ length: 23 }, (_, i) => `r${i}`);
    const seen: Array<[string, number]> = [];
    let inFlight = 0;
    let most = 0;
    await forEachInFlight(items, 4, async (item, i) => {
      most = Math.max(most, ++inFlight);
      await tick();
      seen.push([item, i]);
      inFlight--;
    });
    expect(most).toBe(4);
    expect(seen.sort((a, b) => a[1] - b[1])).toEqual(items.map((x, i) => [x, i]));
    await forEachInFlight([], 4, async () => expect.unreachable());
  });

  it('rejects with the first error; an aborted signal stops taking items', async () => {
    await expect(
      forEachInFlight([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
    const ac = new AbortController();
    const done: number[] = [];
    await forEachInFlight(
      [1, 2, 3, 4, 5, 6],
      1,
      async (n) => {
        done.push(n);
        if (n === 2) ac.abort();
      },
      ac.signal,
    );
    expect(done).toEqual([1, 2]);
  });
});
