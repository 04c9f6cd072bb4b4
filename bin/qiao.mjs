#!/usr/bin/env node
// The `qiao` command: runs src/cli.ts through tsx's loader, so a checkout needs no build step.
import { register } from 'tsx/esm/api'

register()
const { runCli } = await import('../src/cli.ts')
process.exitCode = await runCli(process.argv.slice(2))
