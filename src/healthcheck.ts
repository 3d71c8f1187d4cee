/**
 * The container's health check: `node dist/healthcheck.js` exits 0 when the emulator answers
 * `GET /__mock/ready` with 200, 1 otherwise. It reads the port and host the way the server does
 * (environment, then the TRIPO_MOCK_CONFIG file, then the defaults), so it follows a changed port
 * or a host bound to one address; it needs no curl or wget in the image.
 */
import { request } from 'node:http'
import { loadConfig } from './infra/config.ts'
import { localUrl } from './infra/listen-url.ts'

function unhealthy (reason: string): void {
  process.stderr.write(`unhealthy: ${reason}\n`)
  process.exitCode = 1
}

let target: URL | undefined
try {
  const { host, port } = loadConfig({ env: process.env, file: process.env['TRIPO_MOCK_CONFIG'] })
  target = new URL('/__mock/ready', localUrl(host, port))
} catch (error) {
  // A bad setting: the server would not have started either. One line, no stack.
  unhealthy((error as Error).message)
}

if (target !== undefined) {
  const probe = request(target, { timeout: 2000 }, (response) => {
    response.resume()
    if (response.statusCode === 200) process.exitCode = 0
    else unhealthy(`${target.pathname} answered ${response.statusCode ?? 'nothing'}`)
  })
  probe.on('timeout', () => probe.destroy(new Error('timed out')))
  probe.on('error', (error) => unhealthy(error.message))
  probe.end()
}
