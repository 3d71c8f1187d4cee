/**
 * Testing a webhook receiver against tripo-mock, the way your suite would test yours: the receiver
 * (webhook-receiver.mjs) runs as a process of its own; the emulator, in process with the manual
 * clock, delivers to it when the test moves time; scenarios break the deliveries on purpose, and
 * the test checks that the receiver took what it should and refused the rest.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startTripoMock } from 'tripo-mock'

const SECRET = 'whsec_example_receiver_secret'

// ---- the receiver, and what it prints (one JSON line per request) ----

const receiver = spawn(process.execPath, [fileURLToPath(new URL('webhook-receiver.mjs', import.meta.url))], {
  env: { PATH: process.env['PATH'], PORT: '0', TRIPO_WEBHOOK_SECRET: SECRET },
  stdio: ['ignore', 'pipe', 'inherit']
})
t.teardown(() => { receiver.kill() })
const printed: Array<Record<string, unknown>> = []
const waiting: Array<{ test: (line: Record<string, unknown>) => boolean, resolve: (line: Record<string, unknown>) => void }> = []
createInterface({ input: receiver.stdout }).on('line', (text) => {
  const line = JSON.parse(text) as Record<string, unknown>
  printed.push(line)
  for (const waiter of waiting.filter((each) => each.test(line))) {
    waiting.splice(waiting.indexOf(waiter), 1)
    waiter.resolve(line)
  }
})
/** The first line, printed or to come, that passes `test`. */
const printedLine = (test: (line: Record<string, unknown>) => boolean) => {
  const known = printed.find(test)
  return known !== undefined ? Promise.resolve(known) : new Promise<Record<string, unknown>>((resolve) => { waiting.push({ test, resolve }) })
}

const { listening: port } = await printedLine((line) => 'listening' in line)

// ---- the emulator, delivering every key's events to the receiver ----

const mock = await startTripoMock({
  clockMode: 'manual',
  logger: false,
  durations: { text_to_model: { queuedMs: 0, runningMs: 10_000 } },
  webhooks: [{ url: `http://127.0.0.1:${port as number}/tripo/webhooks`, secret: SECRET }]
})
t.teardown(() => mock.close())

/** Creates a task with this key, as the code under test would, and returns its id. */
async function createTask (key: string): Promise<string> {
  const response = await fetch(`${mock.apiUrl}/generation/text-to-model`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a red car', model: 'v3.1-20260211' })
  })
  return (await response.json() as { data: { task_id: string } }).data.task_id
}

t.test('a finished task: the receiver verifies the delivery and takes it', async (t) => {
  const taskId = await createTask('tsk_receiver_ok')
  mock.clock.advance('10s')
  const line = await printedLine((each) => each['id'] === `${taskId}:task.completed`)
  t.match(line, { received: 'task.completed', status: 'success' })
})

t.test('the same delivery twice: taken once', async (t) => {
  const key = 'tsk_receiver_duplicates'
  mock.scenarios.activate('webhook-duplicated', { key })
  const taskId = await createTask(key)
  mock.clock.advance('10s')
  await mock.webhooks.idle()
  const { deliveries: [delivery] } = mock.webhooks.deliveries({ taskId })
  t.ok(await printedLine((each) => each['duplicate'] === delivery?.id), 'recognised by its Tripo-Webhook-Delivery')
  t.equal(printed.filter((each) => each['delivery'] === delivery?.id && 'received' in each).length, 1)
})

t.test('a bad signature and a stale one: refused with 400, and retried by the emulator', async (t) => {
  for (const [scenario, verdict] of [['webhook-bad-signature', 'mismatch'], ['webhook-stale-signature', 'stale']] as const) {
    const key = `tsk_receiver_${verdict}`
    mock.scenarios.activate(scenario, { key })
    const taskId = await createTask(key)
    mock.clock.advance('10s')
    await mock.webhooks.idle()
    const { deliveries: [delivery] } = mock.webhooks.deliveries({ taskId })
    t.ok(await printedLine((each) => each['refused'] === verdict && each['delivery'] === delivery?.id), `${scenario}: refused`)
    t.match(delivery, { status: 'pending', attempts: [{ status: 400, response: `signature ${verdict}` }] })
  }
})

t.test('two v1 during a secret rotation: taken', async (t) => {
  const key = 'tsk_receiver_rotation'
  mock.scenarios.activate('webhook-rotated-secret', { key })
  const taskId = await createTask(key)
  mock.clock.advance('10s')
  t.match(await printedLine((each) => each['id'] === `${taskId}:task.completed`), { received: 'task.completed' })
})
