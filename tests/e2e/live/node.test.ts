import { liveScenarios } from './scenarios.js'
import { startNodeTarget } from './targets.js'

// The live scenarios against a Node gateway process (src/node.ts) on PostgreSQL.
liveScenarios('Node (src/node.ts)', startNodeTarget, { earlyAnswersReachClient: true })
