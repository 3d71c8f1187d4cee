/**
 * The process entry: the only file that touches the process (arguments, environment, signals).
 * `node dist/server.js` (what `npm start` and the Docker image run) starts the emulator with the
 * configuration from the environment.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './infra/config.ts'

let config
try {
  config = loadConfig({ env: process.env, file: process.env['TRIPO_MOCK_CONFIG'] })
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`tripo-mock: ${error.message}\n`)
  process.exit(2)
}

const { app } = await buildApp({ config })
closeWithGrace({ delay: 10000 }, async ({ err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an error')
  await app.close()
})
await app.listen({ port: config.port, host: config.host })
