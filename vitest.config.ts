import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One anvil for the whole run (chain tests deploy their own contracts on it).
    globalSetup: ['test/setup/anvil.ts'],
    // Chain and CLI tests spawn real processes (anvil, the built binary): give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // docs/KEYSTORE.md § 2.6: every process the suite starts writes its throw-away keystores
    // at the test-only scrypt cost (N = 2^10, ~4 ms an unlock instead of ~0.5 s) and may open
    // them; a test that needs a real run's refusal unsets both (test/cli/test-kdf.test.ts).
    env: { EMR_TEST: '1', EMR_TEST_KDF: 'cheap' },
  },
});
