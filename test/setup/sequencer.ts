/**
 * vitest's file order (docs/TESTING.md § 6): the longest files first, so the last to start
 * is a short one and neither of the two workers idles at the end of the run. vitest itself
 * orders by its cache of the last run's durations, which a fresh clone (CI) does not have:
 * there it falls back to file size, and small slow files (memory.test: 34 s in 4 tests)
 * started late, while the other worker had finished. A file's weight is its duration in
 * this clone's cache when it has run here, else its entry in test/durations.json
 * (committed; `npm run test:durations` refreshes it from the cache), else a middling 5 s.
 * As in vitest, a file that failed last time runs first.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const UNKNOWN_MS = 5_000;

export function committedDurations(path = new URL('../durations.json', import.meta.url)): Map<string, number> {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return new Map(Object.entries(parsed).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] >= 0));
  } catch {
    return new Map(); // no file: the cache and the middling guess still order the run
  }
}

export interface Weighed<T> {
  item: T;
  file: string;
  /** From this clone's cache, when the file has run here. */
  cached?: { failed: boolean; duration: number };
}

/** Failed last time first, then the longest first; ties keep their order. */
export function longestFirst<T>(files: ReadonlyArray<Weighed<T>>, committed: ReadonlyMap<string, number>): T[] {
  return files
    .map((f) => ({ item: f.item, failed: f.cached?.failed === true, ms: f.cached?.duration ?? committed.get(f.file) ?? UNKNOWN_MS }))
    .sort((a, b) => Number(b.failed) - Number(a.failed) || b.ms - a.ms)
    .map((w) => w.item);
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    return longestFirst(
      files.map((item) => {
        const file = relative(root, item.moduleId);
        return { item, file, cached: this.ctx.cache.getFileTestResults(`${item.project.name}:${file}`) };
      }),
      committedDurations(),
    );
  }
}
