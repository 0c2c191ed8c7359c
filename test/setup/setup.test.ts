/**
 * The suite's own machinery (docs/TESTING.md § 5, § 6): where the run's temp dir goes, and
 * the order files start in.
 */
import { existsSync, statfsSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { committedDurations, longestFirst } from './sequencer.js';
import { suiteParent } from './temp.js';

const root = join(import.meta.dirname, '..', '..');

describe('the run temp dir (TESTING.md § 5)', () => {
  it('EMR_TEST_TMPDIR names the parent outright', () => {
    expect(suiteParent({ EMR_TEST_TMPDIR: '/somewhere/else' })).toBe('/somewhere/else');
  });

  it('is on tmpfs when /dev/shm is one with room in it and in RAM, else the OS temp dir; this run uses it', () => {
    let roomy = false;
    try {
      const fs = statfsSync('/dev/shm');
      roomy = fs.type === 0x01021994 && fs.bavail * fs.bsize >= 8 * 2 ** 30 && freemem() >= 8 * 2 ** 30;
    } catch {
      // no /dev/shm
    }
    const parent = suiteParent({});
    expect(parent).toBe(roomy ? '/dev/shm' : tmpdir());
    if (!process.env.EMR_TEST_TMPDIR) expect(inject('suiteTmp').startsWith(`${join(parent, 'emr-suite-')}`)).toBe(true);
  });
});

describe('file order (TESTING.md § 6)', () => {
  it('starts the longest first: this clone’s cache over the committed durations over a middling 5 s; a failed file first', () => {
    const committed = new Map([
      ['a', 30_000],
      ['b', 1_000],
      ['c', 20_000],
    ]);
    const order = longestFirst(
      [
        { item: 'a', file: 'a', cached: { failed: false, duration: 2_000 } }, // the cache wins over 30 s
        { item: 'b', file: 'b' },
        { item: 'c', file: 'c' },
        { item: 'new', file: 'new' }, // 5 s
        { item: 'broke', file: 'broke', cached: { failed: true, duration: 10 } },
      ],
      committed,
    );
    expect(order).toEqual(['broke', 'c', 'new', 'a', 'b']);
  });

  it('test/durations.json names only test files that exist (`npm run test:durations` drops the rest)', () => {
    const committed = committedDurations();
    expect(committed.size).toBeGreaterThan(100);
    const gone = [...committed.keys()].filter((f) => !f.endsWith('.test.ts') || !existsSync(join(root, f)));
    expect(gone).toEqual([]);
  });
});
