/**
 * The webhook service without HTTP: a transport the test answers by hand, the manual clock, and
 * the domain's own emulator and scenario engine. Events at tasks' final instants and on balance
 * crossings, the retry schedule, disabling, bounds, resend and trigger, every scenario effect,
 * resets, the one timer of the real clock, and what it leaves behind.
 */
import t from 'tap'
import { createClock } from '../../../src/domain/clock.ts'
import { Emulator } from '../../../src/domain/emulator.ts'
import { ScenarioEngine } from '../../../src/domain/scenarios/engine.ts'
import { STALE_SECONDS, WebhookService } from '../../../src/domain/webhooks/service.ts'
import { verifyWebhookSignature } from '../../../src/domain/webhooks/signature.ts'
import { manualTimers } from '../../fixtures/manual-timers.ts'
import { FINAL_AFTER, KEY, OTHER, scenario, type Sent, SETTINGS, setup, START, WALL } from '../../fixtures/webhook-service.ts'

t.test('a task tells the endpoints that receive its event, at its final instant, and never before', async (t) => {
  const { clock, service, sent, image } = setup()
  const finished: string[] = []
  service.observe({ finished: (delivery) => finished.push(delivery.status) })
  const everyKey = service.addEndpoint({ url: 'http://127.0.0.1:1/all' })
  const failures = service.addEndpoint({ url: 'http://127.0.0.1:1/failures', events: ['task.failed'] }, KEY)
  service.addEndpoint({ url: 'http://127.0.0.1:1/other' }, OTHER)
  service.addEndpoint({ url: 'http://127.0.0.1:1/off', enabled: false })
  t.match(service.stats(), { endpoints: 4, listening: true, timerArmed: false })

  const task = image()
  clock.advance(FINAL_AFTER - 1)
  t.equal(sent.length, 0, 'not before its final instant')
  clock.advance(1)
  t.equal(sent.length, 1, 'the endpoint of every key; not the one for failures, another key, or a disabled one')
  const [first] = sent as [Sent]
  t.equal(first.request.url, everyKey.url)
  t.same(first.body, { id: `${task.id}:task.completed`, type: 'task.completed', created_at: new Date(START + FINAL_AFTER).toISOString(), data: { task_id: task.id, status: 'success' } })
  t.match(first.request.headers, {
    'content-type': 'application/json',
    'tripo-webhook-id': everyKey.id,
    'tripo-webhook-delivery': 'id-5',
    'tripo-webhook-event': 'task.completed'
  })
  t.equal(verifyWebhookSignature(first.request.body, first.request.headers['tripo-webhook-signature'], everyKey.secret, { now: WALL }), 'valid')
  t.match(first.request.headers['tripo-webhook-signature'], new RegExp(`^t=${WALL / 1000},v1=[0-9a-f]{64}$`), 't is the wall clock at sending')
  t.match(service.delivery('id-5'), { status: 'sending', key: KEY, taskId: task.id, event: 'task.completed', eventId: `${task.id}:task.completed` })

  await first.answer(204, '')
  t.match(service.delivery('id-5'), { status: 'delivered', attempts: [{ kind: 'scheduled', at: START + FINAL_AFTER, url: everyKey.url, status: 204, latencyMs: 1.5, response: '', error: undefined }] })

  // Failed and cancelled tasks are task.failed; the endpoint for failures hears them too.
  image({ status: 'failed' })
  image({ status: 'cancelled', afterMs: 10 })
  clock.advance(FINAL_AFTER)
  t.same(sent.slice(1).map((each) => `${each.request.url} ${each.body['type'] as string}`).sort(), [
    `${everyKey.url} task.failed`, `${everyKey.url} task.failed`, `${failures.url} task.failed`, `${failures.url} task.failed`
  ])
  t.same(sent.slice(1, 3).map((each) => (each.body['data'] as { task_id: string }).task_id), ['task-3', 'task-3'], 'in the order the tasks finished')
  await Promise.all(sent.slice(1).map((each) => each.answer(200)))
  t.equal(service.deliveries({ status: 'delivered' }).length, 5)
  t.same(finished, ['delivered', 'delivered', 'delivered', 'delivered', 'delivered'], 'observers hear every finished delivery')
  t.match(service.stats(), { deliveries: 5, waiting: 0, inFlight: 0, scheduled: 0 })
})

t.test('a forced task tells at once; a stalled one never; tasks from before the first endpoint still tell', async (t) => {
  const { clock, emulator, service, sent, image } = setup()
  const before = image()
  const done = image({ status: 'success', afterMs: 0 })
  const stalled = image({ status: 'success', stall: 'running' })
  clock.advance(1)
  t.equal(done.timeline.endAt, START)
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  t.equal(service.stats().scheduled, 1, 'the unfinished task is filed; the final and the stalled ones are not')
  emulator.forceTask(stalled, { status: 'failed', errorCode: 2008 })
  t.same(sent.map((each) => each.body['id']), [`${stalled.id}:task.failed`], 'forced: told at once')
  clock.advance(FINAL_AFTER)
  t.same(sent.map((each) => each.body['id']), [`${stalled.id}:task.failed`, `${before.id}:task.completed`])
  const stuck = image({ status: 'success', stall: 'queued' })
  t.equal(service.stats().scheduled, 0, 'a stalled task is not filed')
  emulator.forceTask(stuck)
  t.equal(service.stats().scheduled, 1, 'forced to run, it has a final instant')
})

t.test('failed attempts walk the retry schedule on the emulator clock, then the delivery fails', async (t) => {
  const { clock, service, sent, image } = setup()
  const endpoint = service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  image()
  clock.advance(FINAL_AFTER)
  await (sent[0] as Sent).answer(500, 'no')
  const waiting = service.deliveries()[0]
  t.match(waiting, { status: 'pending', nextAttemptAt: START + FINAL_AFTER + 5000 })
  clock.advance(4999)
  t.equal(sent.length, 1, 'not before the schedule says')
  clock.advance(1)
  t.equal(sent.length, 2)
  t.equal(sent[1]?.request.headers['tripo-webhook-delivery'], sent[0]?.request.headers['tripo-webhook-delivery'], 'the same delivery id on every attempt')
  t.equal(sent[1]?.request.body, sent[0]?.request.body, 'and the same body')
  await (sent[1] as Sent).fail('connect ECONNREFUSED')
  t.match(service.deliveries()[0], { status: 'pending', nextAttemptAt: START + FINAL_AFTER + 5000 + 300_000 })
  clock.advance(300_000)
  await (sent[2] as Sent).answer(302, '')
  const failed = service.deliveries()[0]
  t.match(failed, { status: 'failed', nextAttemptAt: undefined })
  t.same(failed?.attempts.map((attempt) => [attempt.status, attempt.error, attempt.response]), [[500, undefined, 'no'], [undefined, 'connect ECONNREFUSED', ''], [302, undefined, '']])
  t.equal(endpoint.consecutiveFailures, 1)
  t.equal(endpoint.enabled, true, 'never disabled when disableAfterFailures is 0')
  clock.advance(36_000_000)
  t.equal(sent.length, 3, 'nothing more')
})

t.test('failed deliveries in a row disable the endpoint; enabling it starts the count afresh', async (t) => {
  const { clock, service, sent, image } = setup({ settings: { retrySchedule: [0], disableAfterFailures: 2 } })
  const disabled: string[] = []
  service.observe({ disabled: (endpoint) => disabled.push(endpoint.id) })
  const endpoint = service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  image()
  clock.advance(FINAL_AFTER)
  await (sent[0] as Sent).answer(500)
  image()
  clock.advance(FINAL_AFTER)
  await (sent[1] as Sent).answer(200)
  t.equal(endpoint.consecutiveFailures, 0, 'a delivered one sets the count back')
  image()
  clock.advance(FINAL_AFTER)
  await (sent[2] as Sent).answer(500)
  image()
  clock.advance(FINAL_AFTER)
  await (sent[3] as Sent).answer(500)
  t.match(endpoint, { enabled: false, disabledBy: 'failures', consecutiveFailures: 2 })
  t.same(disabled, [endpoint.id])
  image()
  clock.advance(FINAL_AFTER)
  t.equal(sent.length, 4, 'a disabled endpoint gets no new deliveries')
  service.setEnabled(endpoint.id, true)
  t.match(endpoint, { enabled: true, disabledBy: undefined, consecutiveFailures: 0 })
})

t.test('a disabled or removed endpoint: its waiting deliveries fail, unless it is enabled again in time', async (t) => {
  const { clock, service, sent, image } = setup()
  const endpoint = service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  const kept = service.addEndpoint({ url: 'http://127.0.0.1:1/kept' })
  image()
  clock.advance(FINAL_AFTER)
  await Promise.all(sent.map((each) => each.answer(500)))
  service.setEnabled(endpoint.id, false)
  t.match(endpoint, { enabled: false, disabledBy: 'control' })
  service.setEnabled(endpoint.id, true)
  clock.advance(5000)
  t.equal(sent.length, 4, 'enabled again before its retry: it goes')
  await Promise.all(sent.slice(2).map((each) => each.answer(500)))
  service.setEnabled(endpoint.id, false)
  clock.advance(300_000)
  const ofEndpoint = service.deliveries({ endpointId: endpoint.id })[0]
  t.match(ofEndpoint, { status: 'failed', note: 'not sent: its endpoint is disabled' })
  t.equal(ofEndpoint?.attempts.length, 2, 'no attempt was made')
  await (sent[4] as Sent).answer(500)
  t.match(service.deliveries({ endpointId: kept.id })[0], { status: 'failed' })

  image()
  service.setEnabled(endpoint.id, true)
  clock.advance(FINAL_AFTER)
  await Promise.all(sent.slice(5).map((each) => each.answer(500)))
  service.removeEndpoint(kept.id)
  t.match(service.deliveries({ endpointId: kept.id })[0], { status: 'failed', note: 'not sent: its endpoint was removed' })
  t.match(service.deliveries({ endpointId: endpoint.id })[0], { status: 'pending' }, 'another endpoint\'s stay')
  t.equal(service.stats().listening, true)
  service.removeEndpoint(endpoint.id)
  t.match(service.stats(), { endpoints: 0, listening: false, scheduled: 0, waiting: 0 }, 'the last endpoint takes the listeners and the schedule with it')
  t.throws(() => service.removeEndpoint(endpoint.id), { key: 'MOCK_NOT_FOUND', message: /no webhook endpoint/ })
})

t.test('a delivery that waits for a slot when its endpoint goes is not sent', async (t) => {
  const { clock, service, sent, image } = setup({ settings: { concurrency: 1 } })
  const first = service.addEndpoint({ url: 'http://127.0.0.1:1/first' })
  const second = service.addEndpoint({ url: 'http://127.0.0.1:1/second' })
  image()
  clock.advance(FINAL_AFTER)
  t.equal(sent.length, 1, 'one slot')
  t.match(service.deliveries({ endpointId: second.id })[0], { status: 'sending', attempts: [] }, 'the other waits for it')
  let idle = false
  const waited = service.idle().then(() => { idle = true })
  service.removeEndpoint(second.id)
  await (sent[0] as Sent).answer(200)
  await waited
  t.equal(idle, true)
  t.equal(sent.length, 1)
  t.match(service.deliveries({ endpointId: second.id })[0], { status: 'failed', note: 'not sent: its endpoint was removed', attempts: [] })
  t.match(service.deliveries({ endpointId: first.id })[0], { status: 'delivered' })
  await service.idle()
})

t.test('bounds: the finished history, and deliveries waiting', async (t) => {
  const { clock, service, sent, image } = setup({ settings: { historySize: 2, maxPending: 2, retrySchedule: [0, 1000] } })
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  for (let i = 0; i < 3; i++) image()
  clock.advance(FINAL_AFTER)
  t.equal(sent.length, 2, 'two wait; the third fails at once')
  const full = service.deliveries({ status: 'failed' })[0]
  t.match(full, { note: 'not sent: the outbox is full (2 deliveries waiting, webhookMaxPending)', attempts: [] })
  await Promise.all(sent.map((each) => each.answer(200)))
  t.equal(service.stats().deliveries, 2, 'three finished, two kept')
  t.same(service.deliveries().map((delivery) => delivery.status), ['delivered', 'delivered'], 'the oldest finished went first')
  t.throws(() => service.delivery(full?.id as string), { key: 'MOCK_NOT_FOUND', message: /beyond webhookHistorySize/ })
})

t.test('balance.low when a key\'s balance falls below the threshold, once until it is back above', async (t) => {
  const { emulator, service, sent, image } = setup({ settings: { balanceThreshold: 100 }, emulator: { startingCredits: 110 } })
  const endpoint = service.addEndpoint({ url: 'http://127.0.0.1:1/hook', events: ['balance.low'] })
  image()
  image()
  t.equal(sent.length, 0, '100 left: not below')
  image()
  t.equal(sent.length, 1, '95: below')
  t.match(sent[0]?.body, { id: /^id-\d+:balance\.low$/, type: 'balance.low', created_at: new Date(START).toISOString(), data: { balance: 95, threshold: 100 } })
  t.equal(sent[0]?.request.headers['tripo-webhook-id'], endpoint.id)
  image()
  t.equal(sent.length, 1, 'still below: no new event')
  emulator.setCredits(emulator.tenantOf(KEY), { balance: 500 })
  emulator.setCredits(emulator.tenantOf(KEY), { balance: 20 })
  t.equal(sent.length, 2, 'back above, then below again')
  t.equal(sent[1]?.body['data'] && (sent[1].body['data'] as { balance: number }).balance, 20)
  image(undefined, OTHER)
  t.equal(sent.length, 2, 'another key is above')
  await Promise.all(sent.map((each) => each.answer(200)))
})

t.test('a key the tenant bounds forget starts afresh: its next fall below the threshold tells again', async (t) => {
  const { emulator, service, sent } = setup({ settings: { balanceThreshold: 100 }, emulator: { maxTenants: 1 } })
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  emulator.setCredits(emulator.tenantOf(KEY), { balance: 0 })
  emulator.tenantOf(OTHER)
  t.equal(emulator.existingTenant(KEY), undefined, 'forgotten: it held nothing')
  emulator.setCredits(emulator.tenantOf(KEY), { balance: 0 })
  t.same(sent.map((each) => each.body['type']), ['balance.low', 'balance.low'])
  await Promise.all(sent.map((each) => each.answer(200)))
})

t.test('resend: the same delivery once more, at once; what it cannot resend', async (t) => {
  const { clock, service, sent, image } = setup({ settings: { retrySchedule: [0, 1000] } })
  const endpoint = service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  image()
  clock.advance(FINAL_AFTER)
  const id = service.deliveries()[0]?.id as string
  t.throws(() => service.resend(id), { key: 'MOCK_BAD_REQUEST', message: /is being sent/ })
  await (sent[0] as Sent).answer(200)
  t.equal(service.resend(id).status, 'sending')
  t.equal(sent[1]?.request.headers['tripo-webhook-delivery'], id)
  await (sent[1] as Sent).answer(500)
  t.match(service.delivery(id), { status: 'failed', attempts: [{ kind: 'scheduled' }, { kind: 'resend', status: 500 }] }, 'a failed resend is not retried')
  service.resend(id)
  await (sent[2] as Sent).answer(200)
  t.match(service.delivery(id), { status: 'delivered' })

  // A pending one goes at once; its schedule is over.
  image()
  clock.advance(FINAL_AFTER)
  await (sent[3] as Sent).answer(500)
  const pending = service.deliveries({ status: 'pending' })[0]?.id as string
  service.resend(pending)
  t.equal(service.stats().scheduled, 0)
  await (sent[4] as Sent).answer(200)
  t.match(service.delivery(pending), { status: 'delivered', attempts: [{ kind: 'scheduled' }, { kind: 'resend' }] })

  service.setEnabled(endpoint.id, false)
  t.throws(() => service.resend(id), { key: 'MOCK_BAD_REQUEST', message: /disabled: enable it first/ })
  service.removeEndpoint(endpoint.id)
  t.throws(() => service.resend(id), { key: 'MOCK_BAD_REQUEST', message: /was removed/ })
  t.throws(() => service.resend('nope'), { key: 'MOCK_NOT_FOUND', message: /no webhook delivery nope/ })
})

t.test('trigger: a task\'s event now, or a key\'s balance.low; to every endpoint that receives it, or to one', async (t) => {
  const { clock, emulator, service, sent, image } = setup({ emulator: { startingCredits: 40 }, settings: { balanceThreshold: 50 } })
  const all = service.addEndpoint({ url: 'http://127.0.0.1:1/all', events: ['task.completed', 'task.failed'] })
  const low = service.addEndpoint({ url: 'http://127.0.0.1:1/low', events: ['balance.low'] }, KEY)
  const running = image()
  const automaticLow = sent.splice(0)
  t.match(automaticLow.map((each) => each.body['type']), ['balance.low'], 'its cost took the balance below')
  t.throws(() => service.trigger({ taskId: running.id }), { message: /is queued: name the event/ })
  t.throws(() => service.trigger({ taskId: running.id, event: 'balance.low' }), { message: /task\.completed or task\.failed, not "balance\.low"/ })
  t.throws(() => service.trigger({ taskId: 'nope' }), { key: 'MOCK_NOT_FOUND', message: /no task nope/ })
  t.throws(() => service.trigger({}), { message: /give a taskId.*event: null/ })
  t.throws(() => service.trigger({ event: 'task.failed' }), { message: /event: "task\.failed"/ })
  t.throws(() => service.trigger({ event: 'balance.low' }), { message: /about a key/ })

  const now = service.trigger({ taskId: running.id, event: 'task.failed' })
  t.same(now.map((delivery) => delivery.endpointId), [all.id])
  t.match(sent[0]?.body, { id: `${running.id}:task.failed`, type: 'task.failed', created_at: new Date(START).toISOString(), data: { status: 'queued' } }, 'the task as it is now')

  clock.advance(FINAL_AFTER)
  const [automatic] = sent.splice(1)
  t.equal(automatic?.body['type'], 'task.completed')
  const again = service.trigger({ taskId: running.id, endpointId: low.id })
  t.match(again, [{ endpointId: low.id, event: 'task.completed' }], 'to one endpoint, whatever its events; the event of its final status')
  t.not(again[0]?.id, automatic?.request.headers['tripo-webhook-delivery'], 'a new delivery')

  const balance = service.trigger({ event: 'balance.low', key: KEY })
  t.same(balance.map((delivery) => delivery.endpointId), [low.id])
  t.match(sent.at(-1)?.body, { type: 'balance.low', data: { balance: 40 - 5, threshold: 50 } })
  service.trigger({ event: 'balance.low', key: 'tsk_never_seen', endpointId: low.id })
  t.match(sent.at(-1)?.body, { data: { balance: 40 } }, 'a key not seen yet has the starting credits')
  t.equal(emulator.existingTenant('tsk_never_seen'), undefined, 'and is not made a tenant')
  service.setEnabled(low.id, false)
  t.throws(() => service.trigger({ event: 'balance.low', key: KEY, endpointId: low.id }), { message: /disabled: enable it first/ })
  t.same(service.trigger({ event: 'balance.low', key: KEY }), [], 'no endpoint receives it')
  await Promise.all([...sent, ...automaticLow, automatic as Sent].map((each) => each.answer(200)))
})

t.test('a custom body, signed, to one endpoint', async (t) => {
  const { service, sent } = setup()
  const endpoint = service.addEndpoint({ url: 'http://127.0.0.1:1/hook' }, KEY)
  t.throws(() => service.sendCustom(endpoint.id, undefined), { message: /body: give the body/ })
  const json = service.sendCustom(endpoint.id, { id: 'evt_1', type: 'task.completed', data: {} })
  t.match(json, { event: 'task.completed', eventId: 'evt_1', key: KEY, taskId: undefined })
  t.equal(sent[0]?.request.body, '{"id":"evt_1","type":"task.completed","data":{}}')
  const text = service.sendCustom(endpoint.id, 'not json', 'my.event')
  t.match(text, { event: 'my.event', eventId: '' })
  t.equal(sent[1]?.request.body, 'not json', 'a string goes as it is')
  t.equal(sent[1]?.request.headers['tripo-webhook-event'], 'my.event')
  t.match(service.sendCustom(endpoint.id, [1, 2]), { event: 'custom' })
  t.match(service.sendCustom(endpoint.id, { type: 7 }), { event: 'custom' })
  await Promise.all(sent.map((each) => each.answer(200)))
  t.throws(() => service.sendCustom('ep_nope', {}), { key: 'MOCK_NOT_FOUND', message: /no webhook endpoint ep_nope/ })
})

t.test('scenarios on deliveries: late, dropped, duplicated, out of order, and the signature faults', async (t) => {
  const { clock, service, sent, image, scenarios } = setup({
    scenarios: [
      scenario('late', [{ match: { operation: 'deliverWebhook' }, effect: { latency: { fixed: '30s' } } }]),
      scenario('dropped', [{ match: { operation: 'deliverWebhook', header: { 'tripo-webhook-event': 'task.failed' } }, effect: { webhook: { drop: true } } }]),
      scenario('twice', [{ match: { operation: 'deliverWebhook' }, effect: { webhook: { duplicate: true } } }]),
      scenario('swapped', [{ match: { operation: 'deliverWebhook', nth: 1 }, effect: { webhook: { outOfOrder: true } } }]),
      scenario('signed', [{ match: { operation: 'deliverWebhook', taskType: 'text_to_image' }, sequence: [{ webhook: { signature: 'bad' } }, { webhook: { signature: 'stale' } }, { webhook: { signature: 'rotated' } }] }]),
      scenario('api-only', [{ effect: { latency: { fixed: '1h' } } }])
    ]
  })
  const endpoint = service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  const verdict = (each: Sent | undefined) => verifyWebhookSignature(each?.request.body ?? '', each?.request.headers['tripo-webhook-signature'], endpoint.secret, { now: WALL })

  await t.test('a rule without an operation is about API calls, never deliveries', async (t) => {
    scenarios.activate('api-only')
    image()
    clock.advance(FINAL_AFTER)
    t.equal(sent.length, 1)
    t.equal(service.deliveries()[0]?.injectedBy, undefined)
    await (sent[0] as Sent).answer(200)
    scenarios.deactivate('api-only')
  })

  await t.test('late: the first attempt that much after the event', async (t) => {
    scenarios.activate('late', KEY)
    image()
    clock.advance(FINAL_AFTER + 29_999)
    t.equal(sent.length, 1)
    t.match(service.deliveries()[0], { status: 'pending', nextAttemptAt: clock.now() + 1, injectedBy: 'late/0' })
    clock.advance(1)
    t.equal(sent.length, 2)
    await (sent[1] as Sent).answer(200)
    scenarios.deactivate('late', KEY)
  })

  await t.test('dropped: never sent, recorded; a resend sends it', async (t) => {
    scenarios.activate('dropped', KEY)
    image({ status: 'failed' })
    image()
    clock.advance(FINAL_AFTER)
    t.same(sent.slice(2).map((each) => each.body['type']), ['task.completed'], 'the matched event is dropped, the other goes')
    const dropped = service.deliveries({ status: 'dropped' })[0]
    t.match(dropped, { event: 'task.failed', note: 'dropped by dropped/0', attempts: [] })
    service.resend(dropped?.id as string)
    t.same(sent.slice(2).map((each) => each.body['type']), ['task.completed', 'task.failed'])
    await Promise.all(sent.slice(2).map((each) => each.answer(200)))
    scenarios.deactivate('dropped', KEY)
  })

  await t.test('duplicated: once delivered, the same delivery once more', async (t) => {
    sent.length = 0
    scenarios.activate('twice', KEY)
    image()
    clock.advance(FINAL_AFTER)
    await (sent[0] as Sent).answer(500)
    clock.advance(5000)
    t.equal(sent.length, 2, 'not duplicated while it fails')
    await (sent[1] as Sent).answer(200)
    t.equal(sent.length, 3, 'delivered: sent again')
    t.equal(sent[2]?.request.headers['tripo-webhook-delivery'], sent[1]?.request.headers['tripo-webhook-delivery'])
    t.equal(sent[2]?.request.body, sent[1]?.request.body)
    const id = sent[2]?.request.headers['tripo-webhook-delivery'] as string
    t.equal(service.delivery(id).status, 'sending')
    await (sent[2] as Sent).answer(500)
    t.match(service.delivery(id), { status: 'delivered', attempts: [{ kind: 'scheduled' }, { kind: 'scheduled' }, { kind: 'duplicate', status: 500 }] }, 'the duplicate\'s answer changes nothing')

    // An endpoint disabled before the duplicate leaves: the delivery stays delivered.
    image()
    clock.advance(FINAL_AFTER)
    const other = sent[3]?.request.headers['tripo-webhook-delivery'] as string
    const answered = (sent[3] as Sent).answer(200)
    service.setEnabled(endpoint.id, false)
    await answered
    t.match(service.delivery(other), { status: 'delivered', attempts: [{ kind: 'scheduled' }] })
    service.setEnabled(endpoint.id, true)
    scenarios.deactivate('twice', KEY)
  })

  await t.test('out of order: held back until the next delivery to its endpoint has been sent', async (t) => {
    sent.length = 0
    scenarios.activate('swapped', KEY)
    const first = image()
    clock.advance(1000)
    const second = image()
    clock.advance(FINAL_AFTER)
    t.same(sent.map((each) => (each.body['data'] as { task_id: string }).task_id), [second.id], 'the later event first')
    t.match(service.deliveries({ taskId: first.id })[0], { status: 'pending', heldBack: true })
    await (sent[0] as Sent).answer(200)
    t.same(sent.map((each) => (each.body['data'] as { task_id: string }).task_id), [second.id, first.id], 'then the one held back')
    await (sent[1] as Sent).answer(200)

    // Alone, it goes after its limit (a minute by default).
    scenarios.reset(KEY)
    scenarios.activate('swapped', KEY)
    image()
    clock.advance(FINAL_AFTER + 59_999)
    t.equal(sent.length, 2)
    clock.advance(1)
    t.equal(sent.length, 3)
    t.match(service.deliveries()[0], { heldBack: false, status: 'sending' })
    await (sent[2] as Sent).answer(200)
    scenarios.deactivate('swapped', KEY)
  })

  await t.test('combined: the latencies of every rule that fired add up; the webhook effect decides', async (t) => {
    sent.length = 0
    scenarios.activate('late', KEY)
    scenarios.activate('twice', KEY)
    image()
    clock.advance(FINAL_AFTER + 29_999)
    t.match(service.deliveries()[0], { status: 'pending', injectedBy: 'twice/0' }, 'late by the other rule')
    clock.advance(1)
    await (sent[0] as Sent).answer(200)
    t.equal(sent.length, 2, 'and duplicated')
    await (sent[1] as Sent).answer(200)
    scenarios.deactivate('late', KEY)
    scenarios.deactivate('twice', KEY)
  })

  await t.test('badly signed, stale, signed with a rotated secret', async (t) => {
    sent.length = 0
    scenarios.activate('signed', KEY)
    image()
    image()
    image()
    clock.advance(FINAL_AFTER)
    t.same(sent.map(verdict), ['mismatch', 'stale', 'valid'])
    t.match(sent[0]?.request.headers['tripo-webhook-signature'], /^t=\d+,v1=[0-9a-f]{64}$/, 'well formed, with a wrong secret')
    t.match(sent[1]?.request.headers['tripo-webhook-signature'], new RegExp(`^t=${WALL / 1000 - STALE_SECONDS},v1=`), 'ten minutes old')
    t.equal(verifyWebhookSignature(sent[1]?.request.body ?? '', sent[1]?.request.headers['tripo-webhook-signature'], endpoint.secret, { now: WALL - STALE_SECONDS * 1000 }), 'valid', 'a correct signature for its old t')
    const [, first, second] = (sent[2]?.request.headers['tripo-webhook-signature'] ?? '').split(',')
    t.match([first, second], [/^v1=/, /^v1=/], 'two v1')
    t.equal(verifyWebhookSignature(sent[2]?.request.body ?? '', `t=${WALL / 1000},${first as string}`, endpoint.secret, { now: WALL }), 'mismatch', 'the first with a secret the receiver does not know')
    t.same(service.deliveries({}, 3).map((delivery) => delivery.signatureFault).reverse(), ['bad', 'stale', 'rotated'])
    await Promise.all(sent.map((each) => each.answer(200)))
  })
})

t.test('a key that names an unknown scenario: its deliveries go as they should', async (t) => {
  const { service, sent } = setup()
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  t.match(service.trigger({ event: 'balance.low', key: 'tsk_mock_no-such-scenario' }), [{ injectedBy: undefined }])
  await (sent[0] as Sent).answer(200)
})

t.test('endpoints: defaults, checks, changes, listing by key', async (t) => {
  const { service } = setup({ settings: { endpoints: [{ url: 'https://example.test/hook', secret: 'whsec_configured', events: ['task.failed', 'task.failed'] }] } })
  const [configured] = service.endpoints()
  t.match(configured, { url: 'https://example.test/hook', secret: 'whsec_configured', events: ['task.failed'], key: undefined, origin: 'config', enabled: true, createdAt: START })
  t.equal(configured?.id, 'ep_config_1', 'the first entry of the setting, the same at every start')
  const mine = service.addEndpoint({ url: 'http://127.0.0.1:1/mine' }, KEY)
  t.match(mine, { origin: 'control', events: undefined, key: KEY })
  t.match(mine.secret, /^whsec_[A-Za-z0-9_-]{43}$/, 'a generated secret')
  t.not(service.addEndpoint({ url: 'http://127.0.0.1:1/x' }).secret, mine.secret)
  service.addEndpoint({ url: 'http://127.0.0.1:1/theirs' }, OTHER)
  t.same(service.endpoints(KEY).map((endpoint) => endpoint.url), ['https://example.test/hook', 'http://127.0.0.1:1/mine', 'http://127.0.0.1:1/x'])
  t.equal(service.endpoints().length, 4)

  for (const [spec, message] of [
    [{ url: 'ftp://x/y' }, /url: "ftp:\/\/x\/y" is not an http or https URL/],
    [{ url: 'not a url' }, /is not an http or https URL/],
    [{ url: 42 }, /url: 42 is not/],
    [{ url: 'http://x', secret: 'plain' }, /secret: must be the whole whsec_/],
    [{ url: 'http://x', secret: 'whsec_with space' }, /secret/],
    [{ url: 'http://x', events: [] }, /events: a list of one or more of task\.completed, task\.failed, balance\.low/],
    [{ url: 'http://x', events: ['task.done'] }, /events/],
    [{ url: 'http://x', events: 'task.failed' }, /events/],
    [{ url: 'http://x', enabled: 'yes' }, /enabled: must be true or false/]
  ] as const) {
    t.throws(() => service.addEndpoint(spec as never), { key: 'MOCK_BAD_REQUEST', message }, JSON.stringify(spec))
  }

  t.match(service.updateEndpoint(mine.id, { url: 'https://example.test/new', events: ['balance.low'] }), { url: 'https://example.test/new', events: ['balance.low'], secret: mine.secret })
  t.match(service.updateEndpoint(mine.id, { secret: 'whsec_rotated', events: null }), { events: undefined, secret: 'whsec_rotated' })
  t.throws(() => service.updateEndpoint(mine.id, { url: 'mailto:x' }), { key: 'MOCK_BAD_REQUEST', message: /not an http or https URL/ })
  t.equal(mine.url, 'https://example.test/new', 'a refused change changes nothing')
  t.throws(() => service.endpoint('ep_nope'), { key: 'MOCK_NOT_FOUND', message: /no webhook endpoint/ })
  t.throws(() => new WebhookService({ clock: createClock({ mode: 'manual' }), emulator: new Emulator({ clock: createClock() }), scenarios: new ScenarioEngine({ seed: 1 }), settings: { ...SETTINGS, endpoints: [{ url: 'http://' }] } }), { key: 'MOCK_BAD_REQUEST', message: /url: "http:\/\/"/ })
})

t.test('deliveries: newest first, filtered, limited', async (t) => {
  const { clock, service, sent, image } = setup()
  const one = service.addEndpoint({ url: 'http://127.0.0.1:1/one' })
  const two = service.addEndpoint({ url: 'http://127.0.0.1:1/two' }, OTHER)
  const task = image()
  clock.advance(1)
  image(undefined, OTHER)
  clock.advance(FINAL_AFTER)
  await Promise.all(sent.map((each, index) => each.answer(index === 0 ? 200 : 500)))
  t.equal(service.deliveries().length, 3)
  t.same(service.deliveries().map((delivery) => delivery.taskId), ['task-2', 'task-2', 'task-1'])
  t.equal(service.deliveries({}, 1).length, 1)
  t.equal(service.deliveries({ key: OTHER }).length, 2)
  t.equal(service.deliveries({ endpointId: two.id }).length, 1)
  t.equal(service.deliveries({ endpointId: one.id, taskId: task.id }).length, 1)
  t.equal(service.deliveries({ event: 'task.failed' }).length, 0)
  t.equal(service.deliveries({ status: 'pending' }).length, 2)
})

t.test('reset: one key forgets its endpoints and deliveries; everything brings back the configured endpoints', async (t) => {
  const { clock, emulator, service, sent, image } = setup({ settings: { endpoints: [{ url: 'http://127.0.0.1:1/configured' }] } })
  const [configured] = service.endpoints()
  const mine = service.addEndpoint({ url: 'http://127.0.0.1:1/mine' }, KEY)
  service.addEndpoint({ url: 'http://127.0.0.1:1/theirs' }, OTHER)
  image()
  image(undefined, OTHER)
  clock.advance(FINAL_AFTER)
  t.equal(sent.length, 4)
  service.setEnabled(configured?.id as string, false)
  service.updateEndpoint(configured?.id as string, { url: 'http://127.0.0.1:1/changed' })

  let recorded = 0
  service.observe({ attempted: () => { recorded += 1 } })
  service.reset(KEY)
  t.same(service.endpoints().map((endpoint) => endpoint.url), ['http://127.0.0.1:1/changed', 'http://127.0.0.1:1/theirs'])
  t.same(service.deliveries().map((delivery) => delivery.key), [OTHER, OTHER], 'the key\'s deliveries are forgotten')
  t.throws(() => service.endpoint(mine.id), { key: 'MOCK_NOT_FOUND', message: /no webhook endpoint/ })
  await Promise.all(sent.map((each) => each.answer(200)))
  t.same(service.deliveries().map((delivery) => delivery.attempts.length), [1, 1])
  t.equal(recorded, 2, 'answers to forgotten deliveries are not recorded')

  // A task forgotten by the emulator's reset tells no one.
  image(undefined, OTHER)
  emulator.reset(OTHER)
  clock.advance(FINAL_AFTER)
  t.equal(sent.length, 4)

  service.reset()
  t.same(service.endpoints().map((endpoint) => [endpoint.id, endpoint.url, endpoint.enabled]), [[configured?.id, 'http://127.0.0.1:1/configured', true]], 'as configured')
  t.match(service.stats(), { endpoints: 1, deliveries: 0, listening: true })
  service.reset(OTHER)
  t.equal(service.stats().listening, true, 'the configured endpoint listens on')

  const bare = setup()
  const only = bare.service.addEndpoint({ url: 'http://127.0.0.1:1/only' }, KEY)
  bare.service.reset(KEY)
  t.match(bare.service.stats(), { endpoints: 0, listening: false })
  t.throws(() => bare.service.endpoint(only.id))
  bare.service.reset()
  t.match(bare.service.stats(), { endpoints: 0, listening: false }, 'nothing configured: nothing listens')
})

t.test('not connected: due deliveries wait for a transport', async (t) => {
  const { clock, service, sent, image, transport } = setup({ connect: false })
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  image()
  clock.advance(FINAL_AFTER)
  t.match(service.deliveries()[0], { status: 'sending', attempts: [] })
  service.connect({ transport, renderTask: (task) => ({ task_id: task.id }) })
  t.equal(sent.length, 1)
  await (sent[0] as Sent).answer(200)
})

t.test('a transport that rejects is a failed attempt', async (t) => {
  const { clock, service, image, settled } = setup({ transport: { send: () => Promise.reject(new Error('boom')) } })
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  image()
  const done = settled()
  clock.advance(FINAL_AFTER)
  await done
  t.match(service.deliveries()[0], { status: 'pending', attempts: [{ status: undefined, error: 'Error: boom', latencyMs: 0 }] })
})

t.test('close: no more events or attempts; answers in flight are not recorded', async (t) => {
  const { clock, service, sent, image } = setup()
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  image()
  image()
  clock.advance(FINAL_AFTER)
  const waited = service.idle()
  service.close()
  // Their outcomes are not recorded after close: the promises answer() returns never resolve.
  for (const each of sent) each.answer(200).catch(() => {})
  await waited
  t.match(service.stats(), { listening: false, scheduled: 0, inFlight: 0 })
  t.equal(service.deliveries()[0]?.attempts.length, 0)
  service.addEndpoint({ url: 'http://127.0.0.1:1/after' })
  t.equal(service.stats().listening, false, 'closed: it never listens again')
  image()
  clock.advance(FINAL_AFTER)
  t.equal(sent.length, 2)
})

t.test('with the real clock, one timer for the earliest event or retry, in wall time', async (t) => {
  let wall = 1_000_000
  const { timers, live, fire } = manualTimers()
  const { clock, service, sent, image } = setup({ mode: 'real', wallNow: () => wall, timers })
  service.addEndpoint({ url: 'http://127.0.0.1:1/hook' })
  t.same(live(), [], 'nothing due')
  image()
  image()
  t.same(live().map((timer) => timer.ms), [FINAL_AFTER], 'one timer for both tasks')
  clock.setSpeed(2)
  t.same(live().map((timer) => timer.ms), [FINAL_AFTER / 2], 're-armed in the new wall time')
  wall += FINAL_AFTER / 2
  fire()
  t.equal(sent.length, 2)
  await (sent[0] as Sent).answer(500)
  t.same(live().map((timer) => timer.ms), [2500], 'the retry, 5 s of emulator time at speed 2')
  await (sent[1] as Sent).answer(200)
  wall += 2500
  fire()
  t.equal(sent.length, 3)
  await (sent[2] as Sent).answer(200)
  t.same(live(), [])
  service.removeEndpoint(service.endpoints()[0]?.id as string)
})
