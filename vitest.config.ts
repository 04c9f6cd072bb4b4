import { defineConfig } from 'vitest/config'

// The fast suite: in-process app.request() against a real database per test file
// (a throwaway PostgreSQL database when TEST_DATABASE_URL is set, in-memory PGlite otherwise).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'tests/browser/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The PGlite pass: one migrated data directory for the run, loaded by each test file's databases.
    globalSetup: ['tests/support/pglite-template.ts'],
    pool: 'forks',
    // Test files mostly wait on a database or a child process: three at a time keep two cores busy
    // (the default, one per core less one, leaves one worker on a 2-core machine).
    maxWorkers: 3,
  },
})
