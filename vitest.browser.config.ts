import { defineConfig } from 'vitest/config'

// The console in a real browser: a gateway process and headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core). `npm run test:browser`; screenshots land in test-output/screenshots/.
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
