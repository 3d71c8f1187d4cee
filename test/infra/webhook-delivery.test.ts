/**
 * Webhooks delivered for real, over HTTP, to a receiver on 127.0.0.1: every event with its
 * headers and a signature checked by the test's own HMAC, `data` as GET /v3/tasks/{id} answers
 * it, the retry schedule walked with the manual clock, endpoints disabled after failures and
 * enabled again, timeouts, receivers that fail in every way, and an API that keeps answering
 * while a receiver hangs. No test waits on wall time: each awaits the receiver's request or the
 * service going idle.
 */
import t from 'tap'
import { bearer, harness, KEY, OTHER_KEY, START } from '../fixtures/harness.ts'
import { control } from '../fixtures/control.ts'
import { openEventStream } from '../fixtures/event-stream.ts'
import { parsePrometheusText } from '../fixtures/prometheus.ts'
import { v3Calls } from '../fixtures/v3-calls.ts'
import { parseSignature, type Received, signedWith, startReceiver } from '../fixtures/webhook-receiver.ts'
import { PACKAGE_VERSION } from '../../src/infra/package-info.ts'
import { RESPONSE_EXCERPT_BYTES } from '../../src/infra/webhook-transport.ts'

const SECRET = 'whsec_test_secret_for_the_receiver'
const MODEL = { prompt: 'a red car', model: 'v3.1-20260211' }
/** text_to_model and text_to_image: straight to running, final after 10 s. */
const DURATIONS = { text_to_model: { queuedMs: 0, runningMs: 10_000 }, text_to_image: { queuedMs: 0, runningMs: 10_000 } }

t.test('every event, its headers, a signature that verifies, and data as GET /v3/tasks/{id} answers it', async (t) => {
  const hooks = await startReceiver(t)
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, secret: SECRET }], durations: DURATIONS, startingCredits: 1000, webhookBalanceThreshold: 990 })
  const base = await h.listen()
  const v3 = v3Calls(h)
  const call = control(h)
  const [endpoint] = (await call('GET', '/webhooks/endpoints')).json().endpoints
  t.match(endpoint, { url: `${hooks.url}/hooks`, secret: SECRET, events: ['task.completed', 'task.failed', 'balance.low'], scope: 'all', key: null, origin: 'config', enabled: true })

  const wallBefore = Math.floor(Date.now() / 1000)
  const completed = await v3.task('/generation/text-to-model', MODEL)
  const low = await hooks.request(1)
  t.equal(low.json['type'], 'balance.low', 'the first task\'s cost took the balance below 990')
  const { balance } = (await call('GET', '/credits', { key: KEY })).json()
  t.same(low.json['data'], { balance, threshold: 990 })
  t.match(low.json['id'], /^[0-9a-f-]{36}:balance\.low$/)

  const failed = await h.newTask({ type: 'text_to_image', prompt: 'a cat [[mock:task-failed]]' })
  const cancelled = await v3.task('/generation/text-to-model', MODEL, OTHER_KEY)
  h.clock.advance(4000)
  await call('POST', `/tasks/${cancelled}/force`, { body: { status: 'cancelled' } })
  const cancelledAt = h.clock.now()
  await hooks.request(3)
  h.clock.advance(6000)
  await hooks.request(5)
  await h.services.webhooks.idle()
  const wallAfter = Math.ceil(Date.now() / 1000)

  t.same(hooks.received.slice(1, 3).map((request) => request.json['type']).sort(), ['balance.low', 'task.failed'], 'the other key\'s balance too, and the cancelled task at once')
  const byTask = new Map(hooks.received.filter((request) => request.json['type'] !== 'balance.low').map((request) => [request.json['data'].task_id as string, request]))
  const expected: Array<[string, string, number]> = [[cancelled, 'task.failed', cancelledAt], [completed, 'task.completed', START + 10_000], [failed, 'task.failed', START + 10_000]]
  for (const [taskId, type, finalAt] of expected) {
    const request = byTask.get(taskId) as Received
    t.equal(request.json['id'], `${taskId}:${type}`)
    t.equal(request.json['type'], type)
    t.equal(request.json['created_at'], new Date(finalAt).toISOString(), 'the instant the task reached its final status')
    const owner = taskId === cancelled ? OTHER_KEY : KEY
    const read = await fetch(`${base}/v3/tasks/${taskId}`, { headers: bearer(owner) })
    t.same(request.json['data'], (await read.json() as { data: unknown }).data, `${type}: data is the V3 task object, URLs under the address it listens on`)
  }
  t.match(byTask.get(failed)?.json['data'], { type: 'text_to_image', status: 'failed', error_code: 1001 }, 'a V2 task, rendered as V3')
  t.match(byTask.get(cancelled)?.json['data'], { status: 'cancelled' })
  t.match(byTask.get(completed)?.json['data']?.output?.model_url, new RegExp(`^${base}/files/${completed}/`))

  const deliveries = (await call('GET', '/webhooks/deliveries')).json().deliveries as Array<{ id: string, event: string, status: string }>
  t.equal(deliveries.length, 5)
  t.equal(new Set(hooks.received.map((request) => request.headers['tripo-webhook-delivery'])).size, 5, 'a delivery id each')
  for (const request of hooks.received) {
    t.equal(request.method, 'POST')
    t.equal(request.path, '/hooks')
    t.equal(request.headers['content-type'], 'application/json')
    t.equal(request.headers['user-agent'], `tripo-mock/${PACKAGE_VERSION}`)
    t.equal(request.headers['tripo-webhook-id'], endpoint.id, 'the endpoint')
    t.equal(request.headers['tripo-webhook-event'], request.json['type'])
    t.ok(deliveries.some((delivery) => delivery.id === request.headers['tripo-webhook-delivery'] && delivery.status === 'delivered'))
    t.ok(signedWith(SECRET, request), 'the test\'s own HMAC of "<t>.<raw body>" with the whole secret')
    const { t: timestamp, v1 } = parseSignature(request.headers['tripo-webhook-signature'])
    t.equal(v1.length, 1)
    t.ok(timestamp >= wallBefore && timestamp <= wallAfter, 't is the wall clock at sending, whatever the emulator clock says')
    t.ok(!signedWith(SECRET.slice('whsec_'.length), request), 'keyed with the whole string, prefix included')
  }
})

t.test('retries walk the schedule on the emulator clock; each attempt is recorded, journalled and counted', async (t) => {
  const hooks = await startReceiver(t)
  hooks.answer((_request, n) => n <= 3 ? { status: 500, body: 'nope' } : { status: 200, body: '{"received":true}' })
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, secret: SECRET }], durations: DURATIONS })
  const v3 = v3Calls(h)
  const call = control(h)
  const task = await v3.task('/generation/text-to-model', MODEL)
  const deliveryOf = async () => (await call('GET', `/webhooks/deliveries?task=${task}`)).json().deliveries[0]
  const finalAt = START + 10_000

  h.clock.advance(10_000)
  await hooks.request(1)
  await h.services.webhooks.idle()
  t.match(await deliveryOf(), { status: 'pending', nextAttemptAt: new Date(finalAt + 5000).toISOString() }, 'the first attempt at once; the next 5 s later')
  for (const [wait, n, next] of [[5000, 2, 5 * 60_000], [5 * 60_000, 3, 30 * 60_000]] as const) {
    h.clock.advance(wait - 1)
    t.equal((await deliveryOf()).status, 'pending', 'not before the schedule says')
    h.clock.advance(1)
    t.equal((await deliveryOf()).status, 'sending')
    await hooks.request(n)
    await h.services.webhooks.idle()
    t.match(await deliveryOf(), { status: 'pending', nextAttemptAt: new Date(h.clock.now() + next).toISOString() })
  }
  h.clock.advance(30 * 60_000)
  await hooks.request(4)
  await h.services.webhooks.idle()
  const delivery = await deliveryOf()
  t.match(delivery, { status: 'delivered', nextAttemptAt: null, event: 'task.completed', eventId: `${task}:task.completed`, key: 'tsk_test…0001' })
  const attemptAt = [finalAt, finalAt + 5000, finalAt + 5000 + 300_000, finalAt + 5000 + 300_000 + 1_800_000]
  t.same(delivery.attempts.map((attempt: Record<string, unknown>) => [attempt['kind'], attempt['at'], attempt['status'], attempt['response'], attempt['error']]),
    attemptAt.map((at, i) => ['scheduled', new Date(at).toISOString(), i < 3 ? 500 : 200, i < 3 ? 'nope' : '{"received":true}', null]))
  t.ok(delivery.attempts.every((attempt: { latencyMs: number }) => attempt.latencyMs >= 0))
  t.equal(new Set(hooks.received.map((request) => request.headers['tripo-webhook-delivery'])).size, 1, 'the same delivery id on every attempt')
  t.equal(new Set(hooks.received.map((request) => request.body)).size, 1, 'and the same body')

  const journal = (await call('GET', '/journal?operation=deliverWebhook&surface=webhooks')).json().entries
  t.same(journal.map((entry: { status: number }) => entry.status), [200, 500, 500, 500], 'every attempt in the journal, newest first')
  t.match(journal[0], { traceId: delivery.id, key: 'tsk_test…0001', method: 'POST', path: `${hooks.url}/hooks`, code: 0, injectedBy: null, time: new Date(attemptAt[3] as number).toISOString() })
  const detail = (await call('GET', `/journal/${delivery.id as string}`)).json()
  t.match(detail, { url: `${hooks.url}/hooks`, request: { headers: { 'tripo-webhook-delivery': delivery.id, 'tripo-webhook-event': 'task.completed', 'tripo-webhook-signature': delivery.attempts[3].signature } }, response: { body: { text: '{"received":true}' } } }, 'an attempt in full: what was sent and what came back')
  t.equal(JSON.parse(detail.request.body.text).id, `${task}:task.completed`)
  const metrics = parsePrometheusText((await call('GET', '/metrics')).body)
  t.same(metrics.get('tripo_mock_webhook_attempts_total')?.samples.map((sample) => [sample.labels, sample.value]).sort(), [
    [{ event: 'task.completed', status: '200' }, 1],
    [{ event: 'task.completed', status: '500' }, 3]
  ])
  t.same(metrics.get('tripo_mock_webhook_deliveries_total')?.samples.map((sample) => [sample.labels, sample.value]), [[{ event: 'task.completed', status: 'delivered' }, 1]])
  t.notOk(metrics.get('tripo_mock_requests_total')?.samples.some((sample) => sample.labels['operation'] === 'deliverWebhook'), 'requests_total counts the API\'s requests only')
})

t.test('each attempt is streamed as a request event, like a request to the API', async (t) => {
  const hooks = await startReceiver(t)
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, secret: SECRET }], durations: DURATIONS })
  const stream = await openEventStream(`${await h.listen()}/__mock/events?topics=requests`)
  t.teardown(() => { stream.close() })
  await stream.next((event) => event.event === 'ready')
  const task = await v3Calls(h).task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  const attempt = await stream.next((event) => event.event === 'request' && event.data.operation === 'deliverWebhook')
  t.match(attempt.data, { surface: 'webhooks', method: 'POST', path: `${hooks.url}/hooks`, status: 200, key: 'tsk_test…0001' })
  t.equal((await hooks.request(1)).json['id'], `${task}:task.completed`)
  await h.services.webhooks.idle()
})

t.test('failed deliveries in a row disable the endpoint until it is enabled again', async (t) => {
  const hooks = await startReceiver(t)
  hooks.answer(() => ({ status: 503 }))
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, secret: SECRET }], durations: DURATIONS, webhookRetrySchedule: ['0s', '1s'], webhookDisableAfterFailures: 2 })
  const v3 = v3Calls(h)
  const call = control(h)
  const endpointId = h.services.webhooks.endpoints()[0]?.id as string
  for (let n = 1; n <= 2; n++) {
    await v3.task('/generation/text-to-model', MODEL)
    h.clock.advance(10_000)
    await hooks.request(2 * n - 1)
    await h.services.webhooks.idle()
    h.clock.advance(1000)
    await hooks.request(2 * n)
    await h.services.webhooks.idle()
  }
  t.match((await call('GET', `/webhooks/endpoints/${endpointId}`)).json(), { enabled: false, disabledBy: 'failures', consecutiveFailures: 2 })
  const warning = await h.logLine((line) => line['msg'] === 'webhook endpoint disabled after failed deliveries in a row')
  t.match(warning, { level: 40, endpointId, failures: 2 })
  t.match(await h.logLine((line) => line['msg'] === 'webhook delivery failed'), { level: 30, endpointId, event: 'task.completed', attempts: 2, deliveryId: String })
  t.same((await call('GET', '/webhooks/deliveries?status=failed')).json().deliveries.map((delivery: { attempts: unknown[] }) => delivery.attempts.length), [2, 2])

  await v3.task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  t.equal((await call('GET', '/webhooks/deliveries')).json().deliveries.length, 2, 'disabled: no new delivery')

  hooks.answer(() => ({ status: 200 }))
  t.match((await call('POST', `/webhooks/endpoints/${endpointId}/enable`)).json(), { enabled: true, disabledBy: null, consecutiveFailures: 0 })
  await v3.task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  await hooks.request(5)
  await h.services.webhooks.idle()
  t.equal((await call('GET', '/webhooks/deliveries?status=delivered')).json().deliveries.length, 1)
})

t.test('a receiver that hangs: the API keeps answering while the attempt waits; the timeout fails it', async (t) => {
  const hooks = await startReceiver(t)
  hooks.answer((_request, n) => n === 1 ? 'hang' : 'partial')
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, secret: SECRET }], durations: DURATIONS, webhookRetrySchedule: ['0s'], webhookTimeoutMs: 300 })
  const base = await h.listen()
  const task = await v3Calls(h).task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  await hooks.request(1)
  // While the receiver holds the request, the API answers over the same process.
  const reads = await Promise.all(Array.from({ length: 5 }, () => fetch(`${base}/v3/tasks/${task}`, { headers: bearer() })))
  t.same(reads.map((read) => read.status), [200, 200, 200, 200, 200])
  const created = await fetch(`${base}/v3/generation/text-to-model`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify(MODEL) })
  t.equal(created.status, 200)
  t.equal(h.services.webhooks.deliveries()[0]?.status, 'sending', 'the delivery is still waiting for its answer')
  await h.services.webhooks.idle()
  t.match(h.services.webhooks.deliveries({ taskId: task })[0], { status: 'failed', attempts: [{ status: undefined, error: 'timed out after 300 ms', response: '' }] })
  const [view] = (await control(h)('GET', `/webhooks/deliveries?task=${task}`)).json().deliveries
  t.match(view.attempts, [{ status: null, error: 'timed out after 300 ms', response: '' }], 'as the control plane shows it')

  // Headers in time, the body never finished: the timeout covers the body too.
  h.clock.advance(10_000)
  await hooks.request(2)
  await h.services.webhooks.idle()
  t.match(h.services.webhooks.deliveries()[0], { status: 'failed', attempts: [{ status: undefined, error: 'timed out after 300 ms' }] })
})

t.test('closing the app aborts an attempt in flight', async (t) => {
  const hooks = await startReceiver(t)
  hooks.answer(() => 'hang')
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, secret: SECRET }], durations: DURATIONS })
  await v3Calls(h).task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  await hooks.request(1)
  await h.app.close()
  await h.services.webhooks.idle()
  t.match(h.services.webhooks.stats(), { inFlight: 0, listening: false })
})

t.test('receivers that answer oddly: refused, redirected, no body, a long body', async (t) => {
  const hooks = await startReceiver(t)
  const long = 'é'.repeat(RESPONSE_EXCERPT_BYTES)
  hooks.answer((_request, n) => [
    { status: 307, headers: { location: `${hooks.url}/elsewhere` } },
    { status: 204 },
    { status: 200, body: long }
  ][n - 1] ?? { status: 200 })
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks` }], durations: DURATIONS, webhookRetrySchedule: ['0s'] })
  const v3 = v3Calls(h)
  const [redirected, empty, chatty] = [await v3.task('/generation/text-to-model', MODEL), await v3.task('/generation/text-to-model', MODEL), await v3.task('/generation/text-to-model', MODEL)]
  h.clock.advance(10_000)
  await hooks.request(3)
  await h.services.webhooks.idle()
  const attemptOf = (taskId: string) => h.services.webhooks.deliveries({ taskId })[0]?.attempts[0]
  const byTask = new Map(hooks.received.map((request, i) => [request.json['data'].task_id as string, i + 1]))
  // The receiver answers in arrival order; map the answers back to the tasks.
  const answered = [redirected, empty, chatty].sort((a, b) => (byTask.get(a) as number) - (byTask.get(b) as number))
  t.match(attemptOf(answered[0] as string), { status: 307 })
  t.equal(h.services.webhooks.deliveries({ taskId: answered[0] })[0]?.status, 'failed', 'a redirect is not a 2xx, and is not followed')
  t.equal(hooks.received.filter((request) => request.path === '/elsewhere').length, 0)
  t.match(attemptOf(answered[1] as string), { status: 204, response: '' })
  const excerpt = attemptOf(answered[2] as string)?.response as string
  t.equal(Buffer.byteLength(excerpt.replace(/\uFFFD$/, '')) <= RESPONSE_EXCERPT_BYTES, true, 'the start of the body only')
  t.ok(excerpt.startsWith('é'.repeat(RESPONSE_EXCERPT_BYTES / 2 - 1)))

  // https is spoken to an https URL (here a plain HTTP receiver: the handshake fails).
  const endpointId = h.services.webhooks.endpoints()[0]?.id as string
  const plain = await startReceiver(t)
  h.services.webhooks.updateEndpoint(endpointId, { url: `${plain.url.replace('http:', 'https:')}/hooks` })
  await v3.task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  await h.services.webhooks.idle()
  t.match(h.services.webhooks.deliveries()[0], { status: 'failed', attempts: [{ status: undefined, error: /EPROTO/ }] })

  await hooks.close()
  h.services.webhooks.updateEndpoint(endpointId, { url: `${hooks.url}/hooks` })
  await v3.task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  await h.services.webhooks.idle()
  t.match(h.services.webhooks.deliveries()[0], { status: 'failed', attempts: [{ status: undefined, error: /ECONNREFUSED 127\.0\.0\.1/ }] }, 'a receiver that is not there: the very next attempt says so')
})

t.test('output URLs in data are under publicUrl when one is set', async (t) => {
  const hooks = await startReceiver(t)
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, events: ['task.completed'] }], durations: DURATIONS, publicUrl: 'https://tripo.test/' })
  const task = await v3Calls(h).task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  const request = await hooks.request(1)
  t.match(request.json['data'].output.model_url, new RegExp(`^https://tripo\\.test/files/${task}/`))
  await h.services.webhooks.idle()
})

t.test('not listening (inject only): output URLs use the configured host and port', async (t) => {
  const hooks = await startReceiver(t)
  const h = await harness(t, { webhooks: [{ url: `${hooks.url}/hooks`, events: ['task.completed'] }], durations: DURATIONS, host: '127.0.0.1', port: 8123 })
  await v3Calls(h).task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  const request = await hooks.request(1)
  t.match(request.json['data'].output.model_url, /^http:\/\/127\.0\.0\.1:8123\/files\//)
  await h.services.webhooks.idle()
})
