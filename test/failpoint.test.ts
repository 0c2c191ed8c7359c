/** docs/TESTING.md § 3 (Failpoints): the env rules; the crashes themselves are proved through the binary. */
import { describe, expect, it } from 'vitest';
import { exitCodeOf, UsageError } from '../src/errors.js';
import { FAILPOINTS, parseFailpointAction, parseFailpoints } from '../src/failpoint.js';

describe('failpoints (TESTING.md § 3)', () => {
  it('MUST be inert unless EMR_TEST=1 is set as well', () => {
    expect(parseFailpoints({ EMR_FAILPOINTS: 'record-add.after-store' }).size).toBe(0);
    expect(parseFailpoints({ EMR_FAILPOINTS: 'record-add.after-store', EMR_TEST: 'true' }).size).toBe(0);
    expect(parseFailpoints({ EMR_FAILPOINTS: 'no-such-point', EMR_TEST: '0' }).size).toBe(0);
  });

  it('arms name (first visit) and name:n (n-th visit)', () => {
    const m = parseFailpoints({ EMR_TEST: '1', EMR_FAILPOINTS: 'record-add.after-store, batch.journal.torn:34' });
    expect([...m]).toEqual([
      ['record-add.after-store', 1],
      ['batch.journal.torn', 34],
    ]);
  });

  it('with EMR_TEST=1, an unknown name or a malformed entry MUST be a usage error (exit 2) naming the list', () => {
    for (const bad of ['record-add.after-stor', 'batch.journal.stored:0', 'batch.journal.stored:x', 'stored:3', 'a:1:2', '']) {
      let err: unknown;
      try {
        parseFailpoints({ EMR_TEST: '1', EMR_FAILPOINTS: `record-add.after-store,${bad}` });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UsageError);
      expect(exitCodeOf(err)).toBe(2);
      expect((err as UsageError).hint).toContain(FAILPOINTS.join(', '));
    }
  });

  it('EMR_FAILPOINT_ACTION: stop only with EMR_TEST=1, kill by default; any other value MUST be a usage error', () => {
    expect(parseFailpointAction({ EMR_FAILPOINT_ACTION: 'stop' })).toBe('kill');
    expect(parseFailpointAction({ EMR_TEST: '1' })).toBe('kill');
    expect(parseFailpointAction({ EMR_TEST: '1', EMR_FAILPOINT_ACTION: 'stop' })).toBe('stop');
    expect(() => parseFailpointAction({ EMR_TEST: '1', EMR_FAILPOINT_ACTION: 'pause' })).toThrow(UsageError);
  });
});
