/**
 * The Compose example's webhook receiver, without a Docker engine: its wiring holds together (the
 * emulator's webhooks point at the service, port and secret the receiver has), and its command,
 * run as spelled from the image's working directory (the repository root, where the image's
 * /app/package.json and dist/ are), verifies what the emulator sends. Needs `npm run build` first
 * (npm test does): the receiver imports the package.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { load as parseYaml } from 'js-yaml'
import { loadConfig } from '../src/infra/config.ts'
import { startTripoMock } from '../src/index.ts'
import { freePort } from './fixtures/free-port.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

interface Service { build?: string, command?: string[], environment?: Record<string, string>, volumes?: string[] }
const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> }
const emulator = compose.services['tripo-mock'] as Service
const receiver = compose.services['webhook-receiver'] as Service

t.test('the emulator\'s webhooks point at the receiver service, its port and its secret', async (t) => {
  t.equal(receiver.build, '.', 'the receiver runs on the emulator\'s image, which holds the package')
  const config = loadConfig({ env: emulator.environment as NodeJS.ProcessEnv })
  const [endpoint] = config.webhooks
  t.equal(config.webhooks.length, 1)
  const url = new URL(endpoint?.url as string)
  t.equal(url.hostname, 'webhook-receiver')
  t.equal(url.port, receiver.environment?.['PORT'])
  t.equal(endpoint?.secret, receiver.environment?.['TRIPO_WEBHOOK_SECRET'])
  const [, script] = receiver.command as string[]
  t.ok(receiver.volumes?.some((volume) => volume.startsWith(`./${script as string}:/app/${script as string}`)), 'the receiver file is mounted where the command runs it')
})

t.test('the receiver command verifies what the emulator delivers, and refuses a bad signature', async (t) => {
  const port = await freePort()
  const [command, ...args] = receiver.command as string[]
  const child = spawn(command === 'node' ? process.execPath : command as string, args, {
    cwd: root,
    env: { PATH: process.env['PATH'], ...receiver.environment, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { child.kill() })
  const lines: Array<Record<string, unknown>> = []
  const waiting: Array<() => void> = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>)
    waiting.shift()?.()
  })
  const nextLine = () => new Promise<void>((resolve) => { waiting.push(resolve) })
  await nextLine()
  t.same(lines[0], { listening: port })

  const [endpoint] = loadConfig({ env: emulator.environment as NodeJS.ProcessEnv }).webhooks
  const mock = await startTripoMock({ clockMode: 'manual', logger: false, webhooks: [{ ...endpoint, url: `http://127.0.0.1:${port}/tripo/webhooks` }] })
  t.teardown(() => mock.close())
  const [registered] = mock.webhooks.endpoints()
  const taken = nextLine()
  mock.webhooks.send(registered?.id as string, { id: 'evt_1', type: 'task.completed', data: { status: 'success' } })
  await taken
  t.match(lines[1], { received: 'task.completed', id: 'evt_1', status: 'success' })

  mock.scenarios.activate('webhook-bad-signature')
  const refused = nextLine()
  const [delivery] = mock.webhooks.trigger({ event: 'balance.low', key: 'tsk_compose_demo' })
  await refused
  t.same(lines[2], { refused: 'mismatch', delivery: delivery?.id })
  await mock.webhooks.idle()
})
