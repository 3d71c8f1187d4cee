/**
 * The WebSocket watch endpoints, with a real client (`ws`) on a real socket and the manual clock:
 * frames follow clock advances, never sleeps.
 */
import { Ajv } from 'ajv'
import Fastify from 'fastify'
import t from 'tap'
import { validateCreateTask } from '../../src/api/v2/create-task-validator.ts'
import { V2_PREFIX, v2Api } from '../../src/api/v2/index.ts'
import { TaskSchema } from '../../src/api/v2/task-wire.ts'
import { createClock } from '../../src/domain/clock.ts'
import { loadConfig } from '../../src/infra/config.ts'
import { createServices } from '../../src/services.ts'
import { bearer, harness, type Harness, KEY, OTHER_KEY, START } from '../fixtures/harness.ts'
import { type Frame, listen, openWatch, refusedWatch } from '../fixtures/watch-client.ts'

const validateTask = new Ajv({ strict: false }).compile(TaskSchema)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const IDLE = { watches: 0, tasks: 0, scheduled: 0, timerArmed: false, listening: false }
const REFUSED = { code: 1002, message: 'Authentication failed', suggestion: 'Check if your credentials is valid, and ensure you set it correctly' }
const NOT_FOUND = { code: 2001, message: 'The task is not found', suggestion: 'Check if the task is committed by you or whether the format is correct' }
const INVALID = { code: 1004, message: 'One or more of your parameter is invalid', suggestion: 'Refer to the API documentation for parameter requirements' }

const watchClosedLogs = (h: Harness, count: number) => h.logLine((line) => line['msg'] === 'watch closed', count)

t.test('one task watched to finalized: its state on connect, an update per change, finalized, then 1000', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a small cat' })
  const client = await openWatch(`${base}/task/watch/${id}`)
  t.match(client.headers['x-tripo-trace-id'], UUID, 'the 101 carries a trace id too')

  t.match(await client.frame(1), { event: 'update', data: { task_id: id, status: 'queued', progress: 0, queuing_num: 0 } })
  h.clock.advance(2000)
  t.match(await client.frame(2), { event: 'update', data: { status: 'running', progress: 0, queuing_num: -1 } })
  for (let step = 1; step <= 19; step++) {
    h.clock.advance(499) // within a step: nothing visible changes, nothing is sent
    h.clock.advance(1)
    t.match(await client.frame(2 + step), { event: 'update', data: { status: 'running', progress: 5 * step } })
  }
  h.clock.advance(500)
  const last = await client.frame(22)
  t.match(last, { event: 'finalized', data: { status: 'success', progress: 100, running_left_time: -1 } })
  t.same(await client.closed, { code: 1000, reason: 'finalized' })
  t.equal(client.frames.length, 22, 'exactly one frame per visible change')
  t.ok(client.frames.every((frame) => validateTask(frame.data)), 'every frame carries a Task')

  const http = base.replace(/^ws:/, 'http:')
  const read = await fetch(`${http}/task/${id}`, { headers: bearer() })
  t.same(last.data, (await read.json() as { data: unknown }).data, 'the frame is what GET /task/{id} answers, URLs signed for the same host')
  t.match(last.data['output'], { pbr_model: new RegExp(`^${http.replace('/v2/openapi', '')}/files/${id}/textured\\.glb\\?`) })
  t.same(h.services.watches.stats(), IDLE, 'nothing left behind')
})

t.test('a task already final gets finalized at once, then the close', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const id = await h.finishedTask({ type: 'text_to_image', prompt: 'done' })
  const client = await openWatch(`${base}/task/watch/${id}`)
  t.same(await client.closed, { code: 1000, reason: 'finalized' })
  t.equal(client.frames.length, 1)
  t.match(client.frames[0], { event: 'finalized', data: { task_id: id, status: 'success' } })
  t.same(h.services.watches.stats(), IDLE)
})

t.test('watch/all streams every task of the key and stays open; since replays what finished since', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const first = await h.newTask({ type: 'text_to_model', prompt: 'first' })
  h.clock.advance(12_000) // first finishes at START + 12000
  const second = await h.newTask({ type: 'text_to_model', prompt: 'second' })
  h.clock.advance(12_000) // second finishes at START + 24000
  const third = await h.newTask({ type: 'text_to_model', prompt: 'third' })

  const since = await openWatch(`${base}/task/watch/all/${new Date(START + 12_001).toISOString()}`)
  const everything = await openWatch(`${base}/task/watch/all/1997-07-16T19:20:30+01:00`)
  const live = await openWatch(`${base}/task/watch/all`)
  const summary = (frames: Frame[]) => frames.map((frame) => `${frame.event} ${frame.data.task_id} ${frame.data.status}`)
  await since.frame(2)
  await everything.frame(3)
  await live.frame(1)
  t.same(summary(since.frames), [`finalized ${second} success`, `update ${third} queued`], 'replays what finished at or after since, then the unfinished')
  t.same(summary(everything.frames), [`finalized ${first} success`, `finalized ${second} success`, `update ${third} queued`], 'an offset is honoured')
  t.same(summary(live.frames), [`update ${third} queued`], 'without since: the unfinished tasks')

  await h.newTask({ type: 'text_to_image', prompt: 'not theirs' }, OTHER_KEY)
  const fourth = await h.newTask({ type: 'text_to_image', prompt: 'fourth' })
  for (const client of [since, everything, live]) t.match(await client.until((frame) => frame.data.task_id === fourth), { event: 'update', data: { status: 'queued' } }, 'a task created after connecting')
  h.clock.advance(12_000)
  for (const client of [since, everything, live]) {
    t.match(await client.until((frame) => frame.data.task_id === third && frame.event === 'finalized'), { data: { status: 'success' } })
    t.match(await client.until((frame) => frame.data.task_id === fourth && frame.event === 'finalized'), { data: { status: 'success' } })
    t.equal(client.socket.readyState, client.socket.OPEN, 'still open')
    t.notOk(client.frames.some((frame) => ![first, second, third, fourth].includes(frame.data.task_id)), 'only the key\'s own tasks')
  }
  t.same(h.services.watches.stats(), { watches: 3, tasks: 0, scheduled: 0, timerArmed: false, listening: true })
})

t.test('refusals come before the upgrade, as HTTP envelopes with a trace id', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const id = await h.newTask({ type: 'text_to_image', prompt: 'mine' })
  const cases: Array<[string, Record<string, string>, number, unknown]> = [
    [`/task/watch/${id}`, {}, 401, REFUSED],
    [`/task/watch/${id}`, { authorization: 'Bearer sk_not_a_key' }, 401, REFUSED],
    ['/task/watch/all', {}, 401, REFUSED],
    [`/task/watch/${id}`, bearer(OTHER_KEY), 404, NOT_FOUND],
    ['/task/watch/no-such-task', bearer(), 404, NOT_FOUND],
    ['/task/watch/all/yesterday', bearer(), 400, INVALID],
    ['/task/watch/all/2026-01-01T00:00:00+0100', bearer(), 400, INVALID]
  ]
  for (const [path, headers, status, body] of cases) {
    const refusal = await refusedWatch(`${base}${path}`, headers)
    t.equal(refusal.statusCode, status, `${path} ${JSON.stringify(headers)}`)
    t.same(refusal.body, body)
    t.match(refusal.headers['x-tripo-trace-id'], UUID)
    t.match(refusal.headers['content-type'], /^application\/json/)
  }
  t.same(h.services.watches.stats(), IDLE, 'nothing was watched')

  const plain = await h.app.inject({ url: `/v2/openapi/task/watch/${id}`, headers: bearer() })
  t.equal(plain.statusCode, 400, 'a plain GET, without Upgrade')
  t.same(plain.json(), INVALID)
  t.match(plain.headers['x-tripo-trace-id'], UUID)

  const limited = await harness(t, { requestsPerSecond: 1 })
  const limitedBase = await listen(limited)
  const open = await openWatch(`${limitedBase}/task/watch/all`)
  const tooMany = await refusedWatch(`${limitedBase}/task/watch/all`)
  t.equal(tooMany.statusCode, 429, 'an upgrade counts against the request rate')
  t.equal(tooMany.headers['retry-after'], '1')
  open.socket.close()
})

t.test('a task\'s fate and forced moves show in its frames', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const { emulator } = h.services
  const doomed = emulator.createTask(emulator.tenantOf(KEY), validateCreateTask({ type: 'text_to_model', prompt: 'doomed' }), { fate: { status: 'failed', atProgress: 60 } })
  const client = await openWatch(`${base}/task/watch/${doomed.id}`)
  h.clock.advance(2000)
  for (let step = 0; step < 12; step++) h.clock.advance(500)
  const closed = await client.closed
  t.same(closed, { code: 1000, reason: 'finalized' })
  t.match(client.frames.at(-2), { event: 'update', data: { status: 'running', progress: 55 } })
  t.match(client.frames.at(-1), { event: 'finalized', data: { status: 'failed', error_code: 1001, consumed_credit: 0, output: {} } })

  const stuck = emulator.createTask(emulator.tenantOf(KEY), validateCreateTask({ type: 'text_to_image', prompt: 'stuck' }), { fate: { status: 'success', stall: 'queued' } })
  const watcher = await openWatch(`${base}/task/watch/${stuck.id}`)
  await watcher.frame(1)
  emulator.forceTask(stuck)
  t.match(await watcher.frame(2), { event: 'update', data: { status: 'running', progress: 0 } }, 'pushed without a clock move')
  emulator.forceTask(stuck, { status: 'cancelled' })
  t.match(await watcher.frame(3), { event: 'finalized', data: { status: 'cancelled' } })
  t.same(await watcher.closed, { code: 1000, reason: 'finalized' })
})

t.test('a socket the client drops, or breaks, leaves nothing behind', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const shared = await h.newTask({ type: 'text_to_model', prompt: 'shared' })
  const alone = await h.newTask({ type: 'text_to_model', prompt: 'alone' })
  const one = await openWatch(`${base}/task/watch/${shared}`)
  const two = await openWatch(`${base}/task/watch/${shared}`)
  const three = await openWatch(`${base}/task/watch/${alone}`)
  t.same(h.services.watches.stats(), { watches: 3, tasks: 2, scheduled: 2, timerArmed: false, listening: true })

  one.socket.terminate()
  await watchClosedLogs(h, 1)
  t.same(h.services.watches.stats(), { watches: 2, tasks: 2, scheduled: 2, timerArmed: false, listening: true }, 'the task stays for its other watcher')
  three.socket.terminate()
  await watchClosedLogs(h, 2)
  t.same(h.services.watches.stats(), { watches: 1, tasks: 1, scheduled: 1, timerArmed: false, listening: true })
  h.clock.advance(2000)
  t.match(await two.frame(2), { data: { status: 'running' } }, 'the remaining watcher is served')
  t.equal(one.frames.length, 1)

  // A client that breaks the protocol (a frame with a reserved opcode) is cut off.
  const raw = (two.socket as unknown as { _socket: { write (bytes: Buffer): void } })._socket
  raw.write(Buffer.from([0x8f, 0x80, 0, 0, 0, 0]))
  await two.closed
  await watchClosedLogs(h, 3)
  t.ok(h.logs.some((line) => line['msg'] === 'watch socket error' && line['level'] === 40), 'logged as a warning')
  t.same(h.services.watches.stats(), IDLE)
})

t.test('a reset closes the watches of the forgotten key with 4410', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const mine = await h.newTask({ type: 'text_to_model', prompt: 'mine' })
  const theirs = await h.newTask({ type: 'text_to_model', prompt: 'theirs' }, OTHER_KEY)
  const task = await openWatch(`${base}/task/watch/${mine}`)
  const all = await openWatch(`${base}/task/watch/all`)
  const other = await openWatch(`${base}/task/watch/${theirs}`, bearer(OTHER_KEY))
  h.services.emulator.reset(KEY)
  t.same(await task.closed, { code: 4410, reason: 'forgotten by reset' })
  t.same(await all.closed, { code: 4410, reason: 'forgotten by reset' })
  h.clock.advance(2000)
  t.match(await other.frame(2), { data: { status: 'running' } }, 'another key\'s watch goes on')
  const again = await refusedWatch(`${base}/task/watch/${mine}`)
  t.equal(again.statusCode, 404, 'the forgotten task is not found any more')
})

t.test('200 concurrent watchers on 150 tasks, all finalized with the manual clock', async (t) => {
  const h = await harness(t, { concurrencyLimits: { model_generation: 200, other: 200 } })
  const base = await listen(h)
  const models = await Promise.all(Array.from({ length: 100 }, (_, i) => h.newTask({ type: 'text_to_model', prompt: `model ${i}` })))
  const images = await Promise.all(Array.from({ length: 50 }, (_, i) => h.newTask({ type: 'text_to_image', prompt: `image ${i}` })))
  const targets = [...models, ...images, ...images]
  const clients = await Promise.all(targets.map((id) => openWatch(`${base}/task/watch/${id}`)))
  await Promise.all(clients.map((client) => client.frame(1)))
  t.same(h.services.watches.stats(), { watches: 200, tasks: 150, scheduled: 150, timerArmed: false, listening: true })

  for (let elapsed = 0; elapsed < 12_000; elapsed += 250) h.clock.advance(250)
  const closes = await Promise.all(clients.map((client) => client.closed))
  t.ok(closes.every((closed) => closed.code === 1000), 'every socket closed normally')
  t.ok(clients.every((client, i) => client.frames.every((frame) => frame.data.task_id === targets[i])), 'each socket heard its own task only')
  t.ok(clients.every((client) => client.frames.at(-1)?.event === 'finalized' && client.frames.at(-1)?.data.status === 'success'), 'each ends with finalized')
  t.ok(clients.every((client) => client.frames.slice(0, -1).every((frame) => frame.event === 'update')), 'updates before it')
  t.ok(clients.every((client) => client.frames.every((frame, i, all) => i === 0 || frame.data.progress > (all[i - 1] as Frame).data.progress || frame.data.status !== (all[i - 1] as Frame).data.status)),
    'every frame is a visible change')
  t.equal(clients.slice(0, 100).reduce((sum, client) => sum + client.frames.length, 0), 100 * 22, 'model tasks: queued, running 0..95, finalized')
  t.equal(clients.slice(100).reduce((sum, client) => sum + client.frames.length, 0), 100 * 22, 'image tasks: the same steps, faster')
  t.same(h.services.watches.stats(), IDLE)
})

t.test('shutting the server down closes open watches with 1001, and completes', async (t) => {
  const h = await harness(t)
  const base = await listen(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'interrupted' })
  const clients = await Promise.all([
    openWatch(`${base}/task/watch/${id}`),
    openWatch(`${base}/task/watch/all`),
    openWatch(`${base}/task/watch/all/2026-01-01T00:00:00Z`)
  ])
  await Promise.all(clients.map((client) => client.frame(1)))
  await h.app.close()
  for (const client of clients) t.same(await client.closed, { code: 1001, reason: 'server shutting down' })
  t.same(h.services.watches.stats(), IDLE)
})

t.test('the watch routes are in the OpenAPI document', async (t) => {
  const h = await harness(t)
  const document = (await h.app.inject({ url: '/docs/v2/json' })).json() as { paths: Record<string, { get: { operationId: string, responses: Record<string, { description: string }> } }> }
  const routes = {
    '/v2/openapi/task/watch/{task_id}': ['watchTask', ['101', '400', '401', '403', '404', '429', '500']],
    '/v2/openapi/task/watch/all': ['watchAll', ['101', '400', '401', '403', '429', '500']],
    '/v2/openapi/task/watch/all/{since}': ['watchAllSince', ['101', '400', '401', '403', '429', '500']]
  } as const
  for (const [path, [operationId, statuses]] of Object.entries(routes)) {
    const get = document.paths[path]?.get
    t.equal(get?.operationId, operationId, path)
    t.same(Object.keys(get?.responses ?? {}).sort(), statuses)
    t.match(get?.responses['101']?.description, /"event":"update"\|"finalized","data":<Task>/, 'the frame format is described')
  }
})

t.test('a connection fault can drop a watch mid-stream (the seam the scenario engine uses)', async (t) => {
  const clock = createClock({ mode: 'manual', start: START })
  const services = createServices(loadConfig({ overrides: { durations: { text_to_image: { queuedMs: 1000, runningMs: 5000 } } } }), { clock })
  const app = Fastify()
  t.teardown(() => app.close())
  app.addHook('onRequest', async (request) => {
    // As a scenario rule would: drop this watch instead of its third frame.
    if (request.url.endsWith('/watch/all')) request.watchFault = (_frame, framesSent) => framesSent === 2
  })
  await app.register(v2Api, { services, prefix: V2_PREFIX })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}${V2_PREFIX}`
  const tenant = services.emulator.tenantOf(KEY)
  const tasks = ['one', 'two'].map((prompt) => services.emulator.createTask(tenant, validateCreateTask({ type: 'text_to_image', prompt })))

  const dropped = await openWatch(`${base}/task/watch/all`)
  const spared = await openWatch(`${base}/task/watch/${(tasks[0] as { id: string }).id}`)
  await dropped.frame(2)
  clock.advance(1000) // both tasks start: the third frame is refused, the fourth finds the socket going
  t.equal((await dropped.closed).code, 1006, 'dropped without a close frame')
  t.equal(dropped.frames.length, 2)
  t.match(await spared.frame(2), { data: { status: 'running' } }, 'other watches are untouched')
  spared.socket.terminate()
})
