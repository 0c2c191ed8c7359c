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
  let finished = 0;
  let started = now();
  let drawn = false;
  let last = 0;
  const draw = (force = false) => {
    const t = now();
    if (!force && t - last < 100) return;
    last = t;
    const secs = Math.max(0.001, (t - started) / 1000);
    const rate = finished / secs;
    const left = total - finished;
    const eta = rate > 0 ? Math.round(left / rate) : undefined;
    const width = 30;
    const fill = total ? Math.round((finished / total) * width) : 0;
    const etaText = eta === undefined ? '--' : eta >= 60 ? `${Math.floor(eta / 60)}m${String(eta % 60).padStart(2, '0')}s` : `${eta}s`;
    stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${finished}/${total}  ${rate.toFixed(1)} rec/s  ETA ${etaText}\x1b[K`);
    drawn = true;
  };
  return {
    onEvent(e) {
      if (e.event === 'start') {
        total = e.todo;
        finished = 0;
        started = now();
        draw(true);
      } else if (e.event === 'row' && e.status !== 'already-done') {
        finished++;
        draw(finished === total);
      }
    },
    end() {
      if (drawn) stderr.write('\n');
    },
  };
}
