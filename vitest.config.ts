import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Some tests start child processes (crash safety) and local servers: allow for a slow CI core.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
