import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Worker processes, SQLite files and training children are heavy; 2 cores is our CI.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
