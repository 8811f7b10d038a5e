import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    // Stops at once, saying what to install, where the native kernels the trainer tests need are missing.
    globalSetup: ['test/support/prerequisites.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: the trainer tests are CPU-bound, so run files two at a time.
    maxWorkers: 2,
    pool: 'forks',
    // s3rver (embedded S3) encrypts list continuation tokens with DES, which Node 17+ only
    // offers with the legacy OpenSSL provider; without it paged S3 listings fail in tests.
    execArgv: ['--openssl-legacy-provider'],
  },
});
