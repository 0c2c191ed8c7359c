import { defineConfig } from 'vitest/config';
import LongestFirst from './test/setup/sequencer.js';

/**
 * `npm test`: the whole suite (docs/TESTING.md). `npm run test:unit` runs the in-process
 * subset only (vitest.unit.config.ts: no anvil, no daemon, no bundle build).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The run's temp dir (checked empty at the end; the shared worlds of
    // test/helpers/shared-world.ts live there too), then ONE anvil for the whole run (chain
    // tests deploy their own contracts on it).
    globalSetup: ['test/setup/temp.ts', 'test/setup/anvil.ts'],
    // Each file's own temp dir, removed when the file ends (docs/TESTING.md § 5).
    setupFiles: ['test/setup/file-temp.ts'],
    // Chain and CLI tests spawn real processes (anvil, the built binary): give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time (this machine has 2 cores; vitest's default there is 1). Files
    // that need their own chain or daemon bind port 0 (TESTING.md § 1), so they never collide.
    maxWorkers: 2,
    // The longest files first, also on a clone with no cache of durations (CI): the last
    // file to start is a short one (test/setup/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    // docs/KEYSTORE.md § 2.6: every process the suite starts writes its throw-away keystores
    // at the test-only scrypt cost (N = 2^10, ~4 ms an unlock instead of ~0.5 s) and may open
    // them; a test that needs a real run's refusal unsets both (test/cli/test-kdf.test.ts).
    env: { EMR_TEST: '1', EMR_TEST_KDF: 'cheap' },
  },
});
