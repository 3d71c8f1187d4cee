#!/usr/bin/env node
/**
 * The process entry, and the `tripo-mock` command: the only file that touches the process
 * (arguments, environment, exit codes, signals). `npm start` and the Docker image run it with no
 * arguments: the configuration then comes from the environment (and `TRIPO_MOCK_CONFIG`).
 * Whatever stops a start (a bad setting or argument, a bad scenario file, a port in use) is one
 * line on stderr and exit code 2; `validate` reports a bad scenario file with exit code 1.
 */
// First, before any other module runs: it keeps the shape of Node's tick objects alive (see there).
import './infra/tick-shape.ts'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { loadScenarios } from './domain/scenarios/loader.ts'
import { helpText, parseCommandLine } from './infra/cli.ts'
import { loadConfig } from './infra/config.ts'
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
    process.exitCode = 1
    const builtin = loadScenarios(BUILTIN_SCENARIOS_DIR, '').length
    process.stdout.write(`built-in: ${builtin} scenarios OK\n`)
    for (const folder of command.folders) {
      process.stdout.write(`${folder}: ${loadScenarios(BUILTIN_SCENARIOS_DIR, folder).length - builtin} scenarios OK\n`)
    }
    process.exitCode = 0
  } else {
    const config = loadConfig({ file: command.configFile ?? process.env['TRIPO_MOCK_CONFIG'], env: process.env, flags: command.flags })
    const { app } = await buildApp({ config })
    closeWithGrace({ delay: 10000 }, async ({ signal, err }) => {
      app.log.info({ signal, err }, 'closing')
      await app.close()
    })
    await app.listen({ port: config.port, host: config.host })
    const base = localUrl(config.host, (app.server.address() as { port: number }).port)
    const where = { api: `${base}/v3`, v2: `${base}/v2/openapi`, docs: `${base}/docs`, control: `${base}/__mock` }
    app.log.info(where, `${PACKAGE_NAME} ${PACKAGE_VERSION} ready: API ${where.api} (V2, legacy: ${where.v2}), docs ${where.docs}, control plane ${where.control} (docs ${where.control}/docs)`)
  }
}

try {
  await main()
} catch (error) {
  process.stderr.write(`${PACKAGE_NAME}: ${(error as Error).message.split('\n')[0] as string}\n`)
  // `validate` set exit code 1 before it began; any other failure is a start that did not happen.
  process.exit(process.exitCode === 1 ? 1 : 2)
}
