/**
 * What a batch shows while it runs (MANIFEST.md § 7), always on stderr: `json` writes one
 * NDJSON event a line for scripts; `bar` draws a progress bar with rate and ETA for a
 * person at a terminal; `none` is silent.
 */
import type { BatchEvent } from '../../batch/run.js';

export type ProgressMode = 'bar' | 'json' | 'none';

export function progressSink(
  mode: ProgressMode,
  stderr: NodeJS.WritableStream,
  now: () => number = Date.now,
): { onEvent(e: BatchEvent): void; end(): void } {
  if (mode === 'none') return { onEvent() {}, end() {} };
  if (mode === 'json') return { onEvent: (e) => void stderr.write(JSON.stringify(e) + '\n'), end() {} };
  let total = 0;
  let stored = 0;
  let finished = 0;
  let phase = 'starting';
  let started = now();
  let drawn = false;
  let last = 0;
  // Issue 22 point 2: rows count as they are stored (one by one), not only when a transaction
  // of up to --batch-size rows confirms; the phase shows before the first row and between.
  const draw = (force = false) => {
    const t = now();
    if (!force && t - last < 100) return;
    last = t;
    if (!total) {
      stderr.write(`\r${phase}…\x1b[K`);
      drawn = true;
      return;
    }
    const secs = Math.max(0.001, (t - started) / 1000);
    const rate = stored / secs;
    const left = total - stored;
    const eta = rate > 0 ? Math.round(left / rate) : undefined;
    const width = 30;
    const fill = Math.round((stored / total) * width);
    const etaText = eta === undefined ? '--' : eta >= 60 ? `${Math.floor(eta / 60)}m${String(eta % 60).padStart(2, '0')}s` : `${eta}s`;
    stderr.write(
      `\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] stored ${stored}/${total}, confirmed ${finished}/${total}  ${rate.toFixed(1)} rec/s  ETA ${etaText}  ${phase}\x1b[K`,
    );
    drawn = true;
  };
  return {
    onEvent(e) {
      if (e.event === 'phase') {
        phase = e.phase + (e.records && e.phase !== 'encrypting' ? ` ${e.records} records` : '');
        draw(true);
      } else if (e.event === 'start') {
        total = e.todo;
        stored = 0;
        finished = 0;
        started = now();
        draw(true);
      } else if (e.event === 'stored') {
        stored++;
        draw(stored === total);
      } else if (e.event === 'row' && e.status !== 'already-done') {
        finished++;
        stored = Math.max(stored, finished); // a row that failed before it was stored counts as handled
        draw(finished === total);
      }
    },
    end() {
      if (drawn) stderr.write('\n');
    },
  };
}
