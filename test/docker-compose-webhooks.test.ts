/**
 * The Compose example's webhook receiver, without a Docker engine: its wiring holds together (the
 * emulator's webhooks point at the service, port and secret the receiver has), its command, run as
 * spelled on the file its volume mounts, verifies what the emulator sends, and its health check
 * passes against it. It runs on the stock Node image: it needs nothing of the package.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
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

interface Service { image?: string, command?: string[], environment?: Record<string, string>, volumes?: string[], healthcheck?: { test?: string[] } }
const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> }
const emulator = compose.services['tripo-mock'] as Service
const receiver = compose.services['webhook-receiver'] as Service

t.test('the emulator\'s webhooks point at the receiver service, its port and its secret', async (t) => {
  t.match(receiver.image, /^node:\d+/, 'the receiver runs on the stock Node image: plain Node, as a user\'s would')
  const config = loadConfig({ env: emulator.environment as NodeJS.ProcessEnv })
  const [endpoint] = config.webhooks
  t.equal(config.webhooks.length, 1)
  const url = new URL(endpoint?.url as string)
  t.equal(url.hostname, 'webhook-receiver')
  t.equal(url.port, receiver.environment?.['PORT'])
  t.equal(endpoint?.secret, receiver.environment?.['TRIPO_WEBHOOK_SECRET'])
  t.ok(mounted(), 'the receiver file is mounted where the command runs it')
})

/** The repository file mounted where the receiver's command runs it. */
function mounted (): string | undefined {
  const [, script] = receiver.command as string[]
  const volume = receiver.volumes?.map((each) => each.split(':')).find(([, target]) => target === script)
  return volume === undefined ? undefined : join(root, volume[0] as string)
}

t.test('the receiver command verifies what the emulator delivers, and refuses a bad signature', async (t) => {
  const port = await freePort()
  const [command] = receiver.command as string[]
  t.equal(command, 'node')
  const child = spawn(process.execPath, [mounted() as string], {
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
  const [kind, program, ...probe] = receiver.healthcheck?.test ?? []
  t.same([kind, program], ['CMD', 'node'])
  // The check as spelled, on the port this test gave the receiver (the service's is PORT).
  const checked = spawn(process.execPath, probe.map((arg) => arg.replace(`:${receiver.environment?.['PORT'] as string}/`, `:${port}/`)), { stdio: 'ignore' })
  t.equal((await once(checked, 'exit'))[0], 0, 'its health check passes once it listens')

  const [endpoint] = loadConfig({ env: emulator.environment as NodeJS.ProcessEnv }).webhooks
  const mock = await startTripoMock({ clockMode: 'manual', logger: false, webhooks: [{ ...endpoint, url: `http://127.0.0.1:${port}/tripo/webhooks` }] })
  t.teardown(() => mock.close())
  const { endpoints: [registered] } = mock.webhooks.endpoints()
  const taken = nextLine()
  mock.webhooks.send(registered?.id as string, { id: 'evt_1', type: 'task.completed', data: { status: 'success' } })
  await taken
  t.match(lines[1], { received: 'task.completed', id: 'evt_1', status: 'success' })

  mock.scenarios.activate('webhook-bad-signature')
  const refused = nextLine()
  const { deliveries: [delivery] } = mock.webhooks.trigger({ event: 'balance.low', key: 'tsk_compose_demo' })
  await refused
  t.same(lines[2], { refused: 'mismatch', delivery: delivery?.id })
  await mock.webhooks.idle()
})
