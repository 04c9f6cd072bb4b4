import { liveScenarios } from './scenarios.js'
import { startWorkerdTarget } from './targets.js'

// The same live scenarios against the Worker in workerd (`wrangler dev`), PostgreSQL through its Hyperdrive binding.
liveScenarios('workerd (wrangler dev, src/worker.ts)', startWorkerdTarget, { earlyAnswersReachClient: false })
