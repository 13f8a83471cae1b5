import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Worker processes, SQLite files and training children are heavy; 2 cores is our CI.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // One throwaway PostgreSQL cluster per project that needs it (skipped with a warning when not installed).
    globalSetup: ['test/fixtures/postgres/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      // The engine's suite again on PostgreSQL: each harness and engine home gets its own database (test/engine/helpers.ts).
      {
        extends: true,
        test: { name: 'postgres', include: ['test/engine/**/*.test.ts'], exclude: ['test/engine/migrations.test.ts'], env: { DAGCTL_TEST_STORE: 'postgres' } },
      },
    ],
  },
});
