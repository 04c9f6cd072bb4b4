import { describe } from 'vitest'
import { testDriver } from './database.js'

/**
 * For test files whose gateway and CLI processes run on an embedded PGlite data directory whatever
 * the driver under test: they would test the same thing twice, so they run in the PGlite pass only.
 */
export const describeEmbedded = describe.skipIf(testDriver === 'postgres')
