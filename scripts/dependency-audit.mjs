// `npm audit --omit=dev --audit-level=high`, in CI. Fails on any high or critical advisory in a
// runtime dependency. When the registry offers no advisory endpoint (a mirror answering 405 or
// 404 to npm's bulk advisory request), there is nothing to check against: that is reported on its
// own line, loudly, and does not fail the run, since no change to the project could make it pass.
import { spawnSync } from 'node:child_process'

const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8', shell: process.platform === 'win32' })
let report
try {
  report = JSON.parse(run.stdout)
} catch {
  console.error(`npm audit printed no JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`)
  process.exit(1)
}

const unavailable = report.statusCode === 405 || report.statusCode === 404 || /advisories\/bulk/.test(report.message ?? report.error?.summary ?? '')
if (report.vulnerabilities === undefined && unavailable) {
  console.log(`DEPENDENCY AUDIT NOT RUN: the registry has no advisory endpoint (${report.statusCode ?? report.message}); run \`npm audit --omit=dev\` against registry.npmjs.org`)
  process.exit(0)
}
if (report.vulnerabilities === undefined) {
  console.error(`npm audit failed:\n${JSON.stringify(report, null, 2)}`)
  process.exit(1)
}

const counts = report.metadata?.vulnerabilities ?? {}
const serious = (counts.high ?? 0) + (counts.critical ?? 0)
console.log(`runtime dependencies: ${JSON.stringify(counts)}`)
for (const [name, v] of Object.entries(report.vulnerabilities)) {
  if (v.severity === 'high' || v.severity === 'critical') console.log(`  ${v.severity}: ${name} ${v.range}`)
}
process.exit(serious > 0 ? 1 : 0)
