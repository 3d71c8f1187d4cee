/**
 * The process entry: the only file that touches the process (arguments, environment, signals).
 * `node dist/server.js` (what `npm start` and the Docker image run) starts the emulator with the
 * configuration from the environment.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ScenarioError } from './domain/scenarios/compile.ts'
import { ConfigError, loadConfig } from './infra/config.ts'

let built
try {
  const config = loadConfig({ env: process.env, file: process.env['TRIPO_MOCK_CONFIG'] })
  built = { config, ...await buildApp({ config }) }
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof ScenarioError)) throw error
  process.stderr.write(`tripo-mock: ${error.message}\n`)
  process.exit(2)
}

const { app, config } = built
closeWithGrace({ delay: 10000 }, async ({ err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an error')
  await app.close()
})
await app.listen({ port: config.port, host: config.host })
