// The administration pages (issue #10, second wave): organisations, their clients and webhooks,
// the tier policy matrix, and the data standards. Each page demands the roles its API route does.

import type { ConsoleApp } from '../../context.js'
import { registerClientPages } from './clients.js'
import { registerOrgPages } from './orgs.js'
import { registerPolicyPages } from './policy.js'
import { registerStandardPages } from './standards.js'
import { registerWebhookPages } from './webhook.js'

export function registerAdminPages(app: ConsoleApp) {
  registerOrgPages(app)
  registerClientPages(app)
  registerWebhookPages(app)
  registerPolicyPages(app)
  registerStandardPages(app)
}
