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
  },
});
