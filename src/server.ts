#!/usr/bin/env node
/**
 * The process entry, and the `tripo-mock` command: the only file that touches the process
 * (arguments, environment, exit codes, signals). `npm start` and the Docker image run it with no
 * arguments: the configuration then comes from the environment (and `TRIPO_MOCK_CONFIG`).
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ScenarioError } from './domain/scenarios/compile.ts'
import { loadScenarios } from './domain/scenarios/loader.ts'
import { helpText, parseCommandLine } from './infra/cli.ts'
import { loadConfig, StartupError } from './infra/config.ts'
import { PACKAGE_NAME, PACKAGE_VERSION } from './infra/package-info.ts'
import { BUILTIN_SCENARIOS_DIR } from './services.ts'

function fail (error: unknown): never {
  if (!(error instanceof StartupError || error instanceof ScenarioError)) throw error
  process.stderr.write(`${PACKAGE_NAME}: ${error.message}\n`)
  process.exit(2)
}

let command
try {
  command = parseCommandLine(process.argv.slice(2))
} catch (error) {
  fail(error)
}

if (command.kind === 'help') {
  process.stdout.write(helpText(PACKAGE_NAME, PACKAGE_VERSION))
} else if (command.kind === 'version') {
  process.stdout.write(`${PACKAGE_VERSION}\n`)
} else if (command.kind === 'validate') {
  try {
    const builtin = loadScenarios(BUILTIN_SCENARIOS_DIR, '').length
    process.stdout.write(`built-in: ${builtin} scenarios OK\n`)
    for (const folder of command.folders) {
      process.stdout.write(`${folder}: ${loadScenarios(BUILTIN_SCENARIOS_DIR, folder).length - builtin} scenarios OK\n`)
    }
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error
    process.stderr.write(`${PACKAGE_NAME}: ${error.message}\n`)
    process.exit(1)
  }
} else {
  let built
  try {
    const config = loadConfig({ file: command.configFile ?? process.env['TRIPO_MOCK_CONFIG'], env: process.env, flags: command.flags })
    built = { config, ...await buildApp({ config }) }
  } catch (error) {
    fail(error)
  }
  const { app, config } = built
  closeWithGrace({ delay: 10000 }, async ({ err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  const { port } = app.server.address() as { port: number }
  const base = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`
  app.log.info({ api: `${base}/v2/openapi`, docs: `${base}/docs`, control: `${base}/__mock` }, `${PACKAGE_NAME} ${PACKAGE_VERSION} ready: API ${base}/v2/openapi, docs ${base}/docs, control plane ${base}/__mock (docs ${base}/__mock/docs)`)
}
