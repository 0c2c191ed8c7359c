// Whole-manifest validation (docs/MANIFEST.md § 4) with its questions asked concurrently:
// each distinct chain question once, results in manifest order whatever order the
// answers arrive in, and an infrastructure failure still fails the whole validation.
// The chain answers are plain callbacks here (RowQuestions is an interface of questions);
// the real chain path runs in test/cli/batch*.test.ts.

import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ManifestRow } from '../../src/batch/manifest.js';
import { type RowQuestions, sha256File, validateRows } from '../../src/batch/validate.js';
import { NotFoundError, UnavailableError } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';

const AUTHOR = '0x' + 'aa'.repeat(20);
const P = ['0x' + '01'.repeat(20), '0x' + '02'.repeat(20), '0x' + '03'.repeat(20)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function world(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'emr-validate-'));
  const rows: ManifestRow[] = Array.from({ length: n }, (_, i) => {
    const fileName = `f${i}.txt`;
    writeFileSync(join(dir, fileName), `record ${i}\n`);
    return { line: i + 2, fileName, file: join(dir, fileName), patient: P[i % 3]!, type: i % 2 ? 'lab' : 'note', title: `t${i}`, meta: {} };
  });
  const calls = { resolve: 0, registered: 0, canWrite: 0, inFlight: 0, maxInFlight: 0 };
  // Answers arrive in a scrambled order, after a delay, like a remote node.
  const answer = async <T>(v: T): Promise<T> => {
    calls.inFlight++;
    calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
    await sleep(1 + Math.floor(Math.random() * 5));
    calls.inFlight--;
    return v;
  };
  const deps: RowQuestions = {
    author: AUTHOR,
    resolvePatient: async (who) => {
      calls.resolve++;
      if (who === 'nobody') throw new NotFoundError('no profile nobody', { hint: 'x' });
      return answer(who);
    },
    isRegisteredPatient: async (a) => {
      calls.registered++;
      return answer(a !== P[2]);
    },
    canWrite: async (p, t) => {
      calls.canWrite++;
      return answer(!(p === P[1] && t === 1));
    },
  };
  return { dir, rows, deps, calls };
}

describe('validateRows', () => {
  it('asks each distinct question once, concurrently, and reports in manifest order', async () => {
    const w = world(120);
    w.rows[5] = { ...w.rows[5]!, patient: 'nobody' };
    w.rows[7] = { ...w.rows[7]!, type: 'horoscope' };
    w.rows[9] = { ...w.rows[9]!, file: join(w.dir, 'gone.txt'), fileName: 'gone.txt' };
    w.rows[11] = { ...w.rows[0]!, line: w.rows[11]!.line };
    const { valid, problems } = await validateRows(w.rows, w.deps);
    // 3 patients + 'nobody'; P[2] unregistered → its types never asked.
    expect(w.calls.resolve).toBe(4);
    expect(w.calls.registered).toBe(3);
    expect(w.calls.canWrite).toBe(4);
    expect(w.calls.maxInFlight).toBeGreaterThan(1);
    expect(problems.map((p) => p.line)).toEqual([...problems.map((p) => p.line)].sort((a, b) => a - b));
    const reason = (line: number) => problems.find((p) => p.line === line)?.reason;
    expect(reason(7)).toMatch(/unknown patient 'nobody'/);
    expect(reason(9)).toMatch(/unknown type 'horoscope'/);
    expect(reason(11)).toBe('missing file gone.txt');
    expect(reason(13)).toBe('duplicate row: same patient, type, title and content as line 2');
    // Row i: P[i % 3]; P[2] is not registered; P[1] may not write 'lab' (odd i).
    for (const r of w.rows) {
      const i = r.line - 2;
      if ([5, 7, 9, 11].includes(i)) continue;
      if (i % 3 === 2) expect(reason(r.line)).toMatch(/not registered/);
      else if (i % 3 === 1 && i % 2 === 1) expect(reason(r.line)).toMatch(/not allowed to add lab/);
      else expect(reason(r.line)).toBeUndefined();
    }
    expect(valid.map((v) => v.line)).toEqual([...valid.map((v) => v.line)].sort((a, b) => a - b));
    expect(valid.length + problems.length).toBe(120);
    const v0 = valid.find((v) => v.line === 2)!;
    expect(v0.sha256).toBe(createHash('sha256').update('record 0\n').digest('hex'));
    expect(v0.size).toBe(9);
  });

  it('a chain that fails (not a row problem) fails the validation, whichever row met it first', async () => {
    const w = world(30);
    const deps = {
      ...w.deps,
      canWrite: async () => {
        await sleep(2);
        throw new UnavailableError('chain unreachable', { hint: 'start it' });
      },
    };
    await expect(validateRows(w.rows, deps)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('sha256File agrees for small (one read) and large (streamed) files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emr-sha-'));
    for (const size of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20]) {
      const bytes = Buffer.alloc(size, size % 251);
      const f = join(dir, `x${size}`);
      writeFileSync(f, bytes);
      expect(await sha256File(f)).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), size });
    }
  });

  it('MANIFEST.md § 8: stops between rows once its signal is aborted (the unlock failed), with the signal’s reason', async () => {
    const w = world(400);
    // A patient per row, so the questions asked count the rows reached.
    w.rows.forEach((r, i) => {
      r.patient = `0x${(i + 16).toString(16).padStart(40, '0')}`;
    });
    const controller = new AbortController();
    const reason = new Error('wrong passphrase');
    // Aborted while the first answers are on their way: at the 10th question.
    const deps: RowQuestions = {
      ...w.deps,
      resolvePatient: (who) => {
        if (w.calls.resolve === 9) controller.abort(reason);
        return w.deps.resolvePatient(who);
      },
      signal: controller.signal,
    };
    await expect(validateRows(w.rows, deps)).rejects.toBe(reason);
    // It stopped there: at most the questions already in flight (16 at a time) came after.
    // The event: every answer in flight has settled, and the turn after the last one (when
    // a pool would start its next question) has run; no new question was asked.
    await waitFor(() => w.calls.inFlight === 0, { what: 'the questions in flight to settle' });
    await new Promise((r) => setImmediate(r));
    expect(w.calls.inFlight).toBe(0);
    expect(w.calls.resolve).toBeLessThanOrEqual(10 + 16);
  });
});
