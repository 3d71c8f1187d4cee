#!/usr/bin/env node
/**
 * The process entry, and the `tripo-mock` command: the only file that touches the process
 * (arguments, environment, exit codes, signals). `npm start` and the Docker image run it with no
 * arguments: the configuration then comes from the environment (and `TRIPO_MOCK_CONFIG`).
 * Whatever stops a start (a bad setting or argument, a bad scenario file, a port in use) is one
 * line on stderr and exit code 2; `validate` lists every problem of every file, with exit code 1.
 */
// First, before any other module runs: it keeps the shape of Node's tick objects alive (see there).
import './infra/tick-shape.ts'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { readyRecord } from './infra/banner.ts'
import { helpText, parseCommandLine, validateReport } from './infra/cli.ts'
import { loadConfig } from './infra/config.ts'
import { DRAIN_DEADLINE_MS } from './infra/drain.ts'
import { localUrl } from './infra/listen-url.ts'
import { PACKAGE_NAME, PACKAGE_VERSION } from './infra/package-info.ts'
import { BUILTIN_SCENARIOS_DIR } from './services.ts'

async function main (): Promise<void> {
  const command = parseCommandLine(process.argv.slice(2))
  if (command.kind === 'help') {
    process.stdout.write(helpText(PACKAGE_NAME, PACKAGE_VERSION))
  } else if (command.kind === 'version') {
    process.stdout.write(`${PACKAGE_VERSION}\n`)
  } else if (command.kind === 'validate') {
    const report = validateReport(BUILTIN_SCENARIOS_DIR, command.folders)
    process.stdout.write(report.stdout)
    process.stderr.write(report.stderr)
    process.exitCode = report.ok ? 0 : 1
  } else {
    const config = loadConfig({ file: command.configFile ?? process.env['TRIPO_MOCK_CONFIG'], env: process.env, flags: command.flags, flagNames: command.flagNames })
    const { app } = await buildApp({ config })
    closeWithGrace({ delay: DRAIN_DEADLINE_MS }, async ({ signal, err }) => {
      app.log.info({ signal, err }, 'closing')
      await app.close()
    })
    await app.listen({ port: config.port, host: config.host })
    const ready = readyRecord(app, localUrl(config.host, (app.server.address() as { port: number }).port), PACKAGE_NAME, PACKAGE_VERSION)
    app.log.info(ready.fields, ready.message)
  }
}

try {
  await main()
} catch (error) {
  process.stderr.write(`${PACKAGE_NAME}: ${(error as Error).message.split('\n')[0] as string}\n`)
  process.exit(2)
}
