import { describe, expect, it } from 'vitest';
import { waitFor } from './wait.js';

describe('waitFor (readiness by polling, issue 9)', () => {
  it('returns the first truthy value, treating a throw as "not yet"', async () => {
    let n = 0;
    const v = await waitFor(
      () => {
        n++;
        if (n < 3) throw new Error('not up');
        return n === 4 ? 'ready' : '';
      },
      { intervalMs: 1 },
    );
    expect(v).toBe('ready');
    expect(n).toBe(4);
  });

  it('rejects after its bound, naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('refused');
        },
        { timeoutMs: 20, intervalMs: 5, what: 'the daemon' },
      ),
    ).rejects.toThrow(/timed out after 20 ms waiting for the daemon \(last error: refused\)/);
  });
});
