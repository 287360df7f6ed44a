import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // Test files share one Postgres and one Redis; each file uses its own schema/database and queue prefix.
    fileParallelism: true,
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['./test-support/global-setup.ts'],
  },
});
