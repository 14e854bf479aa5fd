import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Socket-heavy suites share two cores; forks keep each file's sockets and timers isolated.
    pool: 'forks',
  },
});
