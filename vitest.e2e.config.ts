import { defineConfig } from 'vitest/config'

// The slow suite: real processes (workerd through `wrangler dev`), run by .ci/run after the fast one.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
