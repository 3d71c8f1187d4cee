/**
 * The container's health check: `node dist/healthcheck.js` exits 0 when the emulator on this host
 * answers `GET /__mock/ready` with 200, 1 otherwise. It reads the port the way the server does
 * (environment, then the TRIPO_MOCK_CONFIG file, then the default), so it follows a changed port;
 * it needs no curl or wget in the image.
 */
import { request } from 'node:http'
import { loadConfig } from './infra/config.ts'

const { port } = loadConfig({ env: process.env, file: process.env['TRIPO_MOCK_CONFIG'] })
const probe = request({ host: '127.0.0.1', port, path: '/__mock/ready', timeout: 2000 }, (response) => {
  response.resume()
  process.exitCode = response.statusCode === 200 ? 0 : 1
})
probe.on('timeout', () => probe.destroy(new Error('timed out')))
probe.on('error', (error) => {
  process.stderr.write(`unhealthy: ${error.message}\n`)
  process.exitCode = 1
})
probe.end()
