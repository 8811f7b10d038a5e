import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: the trainer tests are CPU-bound, so run files two at a time.
    maxWorkers: 2,
    pool: 'forks',
  },
});
