/**
 * The `webhooks` part of a snapshot, on the domain's own services (a transport the test answers by
 * hand, the manual clock): export, import, export again gives the same section; an imported
 * emulator carries on (waiting deliveries attempted when the clock reaches them, bodies rendered
 * from the imported tasks, imported tasks telling when they finish); configured endpoints stay as
 * configured; one key's scope; refusals that change nothing; the bounds.
 */
import t from 'tap'
import { StateError, StateRegistry } from '../../../src/domain/state/registry.ts'
import { tenantsPart } from '../../../src/domain/state/tenants.ts'
import { webhooksPart } from '../../../src/domain/state/webhooks.ts'
import type { WebhookSettings } from '../../../src/domain/webhooks/model.ts'
import { FINAL_AFTER, KEY, type Options, OTHER, scenario, type Sent, setup, START } from '../../fixtures/webhook-service.ts'

type Document = Record<string, any>

const CONFIGURED = 'http://127.0.0.1:1/configured'
const SETTINGS: Partial<WebhookSettings> = { endpoints: [{ url: CONFIGURED, secret: 'whsec_configured', events: ['task.failed'] }], retrySchedule: [0, 5000], disableAfterFailures: 1, balanceThreshold: 100 }
const SCENARIOS = [
  scenario('late-custom', [{ match: { operation: 'deliverWebhook', header: { 'tripo-webhook-event': 'custom.ping' } }, effect: { latency: { fixed: '30s' } } }]),
  scenario('swapped', [{ match: { operation: 'deliverWebhook' }, effect: { webhook: { outOfOrder: true } } }]),
  scenario('dropped', [{ match: { operation: 'deliverWebhook' }, effect: { webhook: { drop: true } } }])
]

/** The webhook service, and a state registry with the tenants and webhooks parts. */
function emulator (options: Options = {}) {
  const world = setup({ scenarios: SCENARIOS, ...options, settings: { ...SETTINGS, ...options.settings } })
  const state = new StateRegistry({ clock: world.clock, emulatorVersion: 'test' })
  state.register(tenantsPart(world.emulator))
  state.register(webhooksPart(world.service))
  /** The snapshot, as JSON carries it. */
  const exported = (key?: string): Document => JSON.parse(JSON.stringify(state.export({ key, writtenAt: 'w' })))
  const sentTo = (path: string) => world.sent.filter((each) => each.request.url.endsWith(path))
  return { ...world, state, exported, sentTo }
}

type Emulator = ReturnType<typeof emulator>

/**
 * Webhooks in every state: a configured endpoint disabled by failures, endpoints of one key, of
 * the other, of every key (disabled by hand); deliveries delivered, failed, waiting for a retry,
 * held back, dropped, late (a custom body), one in flight; a key whose balance is low.
 */
async function busy (e: Emulator) {
  const { clock, emulator, service, scenarios, sent, image } = e
  const mine = service.addEndpoint({ url: 'http://127.0.0.1:1/mine', secret: 'whsec_mine' }, KEY)
  const theirs = service.addEndpoint({ url: 'http://127.0.0.1:1/theirs', events: ['task.completed'] }, OTHER)
  const off = service.addEndpoint({ url: 'http://127.0.0.1:1/off', enabled: false })
  scenarios.activate('swapped', OTHER)
  const failed = image({ status: 'failed' })
  const done = image()
  const other = image(undefined, OTHER)
  clock.advance(FINAL_AFTER)
  const to = (path: string, taskId: string) => sent.find((each) => each.request.url.endsWith(path) && (each.body['data'] as { task_id: string }).task_id === taskId) as Sent
  await to('/configured', failed.id).answer(500)
  await to('/mine', failed.id).answer(200)
  clock.advance(1000)
  await to('/mine', done.id).fail('connect ECONNREFUSED')
  clock.advance(4000)
  await (sent[3] as Sent).answer(500)
  scenarios.deactivate('swapped', OTHER)
  scenarios.activate('dropped', OTHER)
  const [dropped] = service.trigger({ taskId: other.id, endpointId: theirs.id })
  scenarios.deactivate('dropped', OTHER)
  scenarios.activate('late-custom', OTHER)
  const custom = service.sendCustom(theirs.id, { type: 'custom.ping', id: 'ping-1' })
  emulator.setCredits(emulator.tenantOf(KEY), { balance: 50 })
  const running = image()
  if (sent.length !== 5) throw new Error(`${sent.length} sent`)
  return { mine, theirs, off, failed, done, other, running, dropped: dropped?.id as string, custom: custom.id }
}

const byId = (document: Document, id: string) => document['webhooks'].deliveries.find((delivery: Document) => delivery.id === id)

t.test('export, import, export again: the same section; another emulator carries on where it was', async (t) => {
  const a = emulator()
  const w = await busy(a)
  const document = a.exported()
  const section = document['webhooks']
  t.match(section.endpoints, [
    { id: 'ep_config_1', url: CONFIGURED, origin: 'config', key: null, events: ['task.failed'], enabled: false, disabledBy: 'failures', consecutiveFailures: 1, createdAt: START },
    { id: w.mine.id, key: KEY, secret: 'whsec_mine', events: null, origin: 'control', enabled: true, disabledBy: null },
    { id: w.theirs.id, key: OTHER, events: ['task.completed'] },
    { id: w.off.id, key: null, enabled: false, disabledBy: 'control' }
  ])
  t.same(section.balanceLow, [KEY])
  const now = a.clock.now()
  t.same(section.deliveries.map((delivery: Document) => [delivery.endpointId, delivery.event, delivery.status, delivery.attempts.length]), [
    ['ep_config_1', 'task.failed', 'failed', 2],
    [w.mine.id, 'task.failed', 'delivered', 1],
    [w.theirs.id, 'task.completed', 'pending', 0],
    [w.mine.id, 'task.completed', 'pending', 1],
    [w.theirs.id, 'task.completed', 'dropped', 0],
    [w.theirs.id, 'custom.ping', 'pending', 0],
    [w.mine.id, 'balance.low', 'pending', 0]
  ], 'in the order they were made')
  const [, , held, retry, dropped, custom, inFlight] = section.deliveries
  t.match(retry, { nextAttemptAt: START + FINAL_AFTER + 6000, nextKind: 'scheduled', scheduledAttempts: 1, body: /^\{"id":"task-2:task.completed"/, fixedBody: null, attempts: [{ status: null, error: 'connect ECONNREFUSED', at: START + FINAL_AFTER }] })
  t.match(held, { heldBack: true, nextAttemptAt: START + FINAL_AFTER + 60_000, body: null, fixedBody: null, taskId: w.other.id, eventAt: START + FINAL_AFTER, injectedBy: 'swapped/0' })
  t.match(dropped, { id: w.dropped, nextAttemptAt: null, body: null, fixedBody: null, taskId: w.other.id, note: 'dropped by dropped/0' })
  t.match(custom, { id: w.custom, key: OTHER, taskId: null, body: null, fixedBody: '{"type":"custom.ping","id":"ping-1"}', nextAttemptAt: now + 30_000 })
  t.match(inFlight, { event: 'balance.low', nextAttemptAt: now, scheduledAttempts: 0, attempts: [], fixedBody: null, body: /"balance":50,"threshold":100/ }, 'being sent: pending, due now, its attempt not counted')

  // Into the same emulator: the same section; the attempt that was in flight no longer counts.
  t.same(a.state.import(document).parts['webhooks'], { endpoints: 4, deliveries: 7, waiting: 4 })
  t.same(a.exported(), document)
  t.equal(a.sent.length, 6, 'the delivery that was being sent is sent again')
  // The old attempt answers first; only the new one is heard.
  await Promise.all([(a.sent[4] as Sent).answer(200), (a.sent[5] as Sent).answer(500)])
  t.match(a.service.delivery(inFlight.id), { status: 'pending', attempts: [{ status: 500 }] }, 'the answer to the old attempt is not the imported delivery\'s')

  // Into another emulator at the same instant: the same section, and it carries on.
  const b = emulator()
  b.clock.set(now)
  t.same(b.state.import(document), { scope: 'all', shiftedMs: 0, parts: { tenants: { tenants: 2, tasks: 4 }, webhooks: { endpoints: 4, deliveries: 7, waiting: 4 } } })
  t.same(b.exported(), document)
  const [again] = b.sent as [Sent]
  t.same([again.request.headers['tripo-webhook-delivery'], again.request.body], [inFlight.id, inFlight.body], 'the same delivery, the same body')
  await again.answer(500)
  t.match(b.service.delivery(inFlight.id), { status: 'pending', nextAttemptAt: now + 5000, attempts: [{ status: 500 }] }, 'its first attempt: the retry schedule\'s second comes next')
  b.clock.advance(1000)
  const [, retried] = b.sentTo('/mine') as [Sent, Sent]
  t.same([retried.request.headers['tripo-webhook-delivery'], retried.request.body], [retry.id, retry.body])
  await retried.answer(200)
  t.match(b.service.delivery(retry.id), { status: 'delivered', attempts: [{ error: 'connect ECONNREFUSED' }, { status: 200 }] })
  b.clock.advance(5000)
  t.ok(b.sentTo('/mine').some((each) => each.body['id'] === `${w.running.id}:task.completed`), 'an imported task tells when it finishes')
  await Promise.all(b.sentTo('/mine').slice(2).map((each) => each.answer(200)))

  b.clock.advance(24_000)
  const [late] = b.sentTo('/theirs') as [Sent]
  t.equal(late.request.body, custom.fixedBody, 'the late custom body, as fixed')
  await late.answer(200)
  const [, released] = b.sentTo('/theirs') as [Sent, Sent]
  t.same(released.body, { id: `${w.other.id}:task.completed`, type: 'task.completed', created_at: new Date(START + FINAL_AFTER).toISOString(), data: { task_id: w.other.id, status: 'success' } }, 'the one held back goes next, rendered from the imported task')
  await released.answer(200)
  b.service.resend(dropped.id)
  const [,, resent] = b.sentTo('/theirs') as [Sent, Sent, Sent]
  t.equal(resent.body['id'], `${w.other.id}:task.completed`, 'a dropped one is rendered when it is resent')
  await resent.answer(200)
  t.match(b.service.endpoint('ep_config_1'), { enabled: false, disabledBy: 'failures', consecutiveFailures: 1 }, 'the configured endpoint keeps its state')
})

t.test('a snapshot resumes: waiting deliveries are due as long after the import as they were after the export', async (t) => {
  const a = emulator()
  const w = await busy(a)
  const document = a.exported()
  const later = emulator()
  later.clock.set(a.clock.now() + 3_600_000)
  t.equal(later.state.import(document).shiftedMs, 3_600_000)
  const retry = later.service.deliveries({ endpointId: w.mine.id, event: 'task.completed' })[0]
  t.match(retry, { status: 'pending', nextAttemptAt: byId(document, retry?.id as string).nextAttemptAt + 3_600_000, createdAt: byId(document, retry?.id as string).createdAt + 3_600_000 })
  t.equal(retry?.attempts[0]?.at, byId(document, retry?.id as string).attempts[0].at + 3_600_000)
  t.equal(later.service.endpoint(w.mine.id).createdAt, START + 3_600_000)
  later.clock.advance(999)
  t.equal(later.sentTo('/mine').length, 1, 'only the one that was in flight, at once')
  later.clock.advance(1)
  t.equal(later.sentTo('/mine').length, 2, 'the retry when its time comes')
  await Promise.all(later.sent.map((each) => each.answer(200)))
})

t.test('a bad section is refused, naming the field, and nothing changes', async (t) => {
  const a = emulator()
  const w = await busy(a)
  const good = a.exported()
  const before = a.exported()
  const changed = (change: (section: Document) => void): Document => {
    const copy = structuredClone(good)
    change(copy['webhooks'])
    return copy
  }
  const index = (id: string) => good['webhooks'].deliveries.findIndex((delivery: Document) => delivery.id === id)
  const refuses = (document: Document, message: string | RegExp, key?: string) => {
    t.throws(() => a.state.import(document, key), typeof message === 'string' ? new StateError(message) : { name: 'StateError', message })
  }
  refuses(changed((s) => { s.endpoints[2].url = 'ftp://x' }), 'webhooks.endpoints[2].url: "ftp://x" is not an http or https URL')
  refuses(changed((s) => { s.endpoints[1].secret = 'plain' }), /^webhooks\.endpoints\[1\]\.secret: must be the whole whsec_\.\.\. string/)
  refuses(changed((s) => { s.endpoints[2].id = w.mine.id }), `webhooks.endpoints[2].id: ${w.mine.id} appears twice`)
  refuses(changed((s) => { s.endpoints.shift(); s.endpoints[0].id = 'ep_config_1' }), 'webhooks.endpoints[0].id: ep_config_1 is the id of a configured endpoint')
  refuses(changed((s) => { s.endpoints[0].key = KEY }), 'webhooks.endpoints[0].key: a configured endpoint is for every key (null)')
  refuses(changed((s) => { s.endpoints[1].disabledBy = 'control' }), 'webhooks.endpoints[1].disabledBy: null exactly when the endpoint is enabled')
  refuses(changed((s) => { s.endpoints[3].disabledBy = null }), 'webhooks.endpoints[3].disabledBy: null exactly when the endpoint is enabled')
  refuses(changed((s) => { s.endpoints[1].events = [] }), 'webhooks.endpoints[1].events: must NOT have fewer than 1 items')
  refuses(changed((s) => { s.endpoints[1].origin = 'console' }), 'webhooks.endpoints[1].origin: must be one of config, control')
  refuses(changed((s) => { s.endpoints[1].createdAt = null }), 'webhooks.endpoints[1].createdAt: must be an instant (epoch ms, on the snapshot\'s clock)')
  refuses(changed((s) => { s.deliveries[1].id = s.deliveries[0].id }), `webhooks.deliveries[1].id: ${good['webhooks'].deliveries[0].id as string} appears twice`)
  refuses(changed((s) => { s.deliveries[index(w.custom)].nextAttemptAt = null }), `webhooks.deliveries[${index(w.custom)}].nextAttemptAt: an instant when the delivery is pending, null once it is finished`)
  refuses(changed((s) => { s.deliveries[0].nextAttemptAt = START }), 'webhooks.deliveries[0].nextAttemptAt: an instant when the delivery is pending, null once it is finished')
  refuses(changed((s) => { s.deliveries[0].heldBack = true }), 'webhooks.deliveries[0].heldBack: only a pending delivery is held back')
  refuses(changed((s) => { s.deliveries[index(w.dropped)].taskId = null }), `webhooks.deliveries[${index(w.dropped)}].body: neither a body nor a task to render one from`)
  refuses(changed((s) => { s.deliveries[0].status = 'sending' }), 'webhooks.deliveries[0].status: must be one of pending, delivered, failed, dropped')
  refuses(changed((s) => { s.deliveries[0].attempts[0].status = '500' }), 'webhooks.deliveries[0].attempts[0].status: must be the HTTP status of the answer, or null when none came')
  refuses(changed((s) => { s.balanceLow.push(KEY) }), /^webhooks\.balanceLow: must NOT have duplicate items/)
  refuses(changed((s) => { s.colour = 'red' }), 'webhooks: unknown field "colour"')
  t.same(a.exported(), before, 'nothing changed')
})

t.test('one key: its own endpoints, the deliveries about it, its balance.low; every other key untouched', async (t) => {
  const a = emulator()
  const w = await busy(a)
  const mine = a.exported(KEY)
  t.same(mine['webhooks'].endpoints.map((endpoint: Document) => endpoint.id), [w.mine.id], 'not the endpoints of every key')
  t.same(mine['webhooks'].deliveries.map((delivery: Document) => delivery.key), [KEY, KEY, KEY, KEY], 'the configured endpoint\'s one about it too')
  t.same(mine['webhooks'].balanceLow, [KEY])
  const theirs = a.exported(OTHER)
  t.same([theirs['webhooks'].endpoints.length, theirs['webhooks'].deliveries.length, theirs['webhooks'].balanceLow], [1, 3, []])

  // Back into the same emulator after the key was reset: the key's state again, the other key's untouched.
  const others = a.exported(OTHER)
  a.service.reset(KEY)
  t.same(a.state.import(mine, KEY).parts['webhooks'], { endpoints: 1, deliveries: 4, waiting: 2 })
  t.same(a.exported(KEY), mine)
  t.same(a.exported(OTHER), others)
  t.equal(a.service.endpoints().length, 4, 'the configured and every key\'s endpoints stay')

  const whole = a.exported()
  const refuses = (change: (section: Document) => void, message: string) => {
    const copy = structuredClone(mine)
    change(copy['webhooks'])
    t.throws(() => a.state.import(copy, KEY), new StateError(message))
  }
  refuses((s) => { s.endpoints[0].key = OTHER }, 'webhooks.endpoints[0].key: not the snapshot\'s key')
  refuses((s) => { s.endpoints[0].key = null }, 'webhooks.endpoints[0].key: not the snapshot\'s key')
  refuses((s) => { s.endpoints[0].id = w.theirs.id }, `webhooks.endpoints[0].id: ${w.theirs.id} is an endpoint of another key, or of every key`)
  refuses((s) => { s.endpoints[0].id = 'ep_config_1' }, 'webhooks.endpoints[0].id: ep_config_1 is an endpoint of another key, or of every key')
  refuses((s) => { s.deliveries[1].key = OTHER }, 'webhooks.deliveries[1].key: not the snapshot\'s key')
  refuses((s) => { s.deliveries[1].id = w.custom }, `webhooks.deliveries[1].id: ${w.custom} belongs to another key`)
  refuses((s) => { s.balanceLow = [OTHER] }, 'webhooks.balanceLow[0]: not the snapshot\'s key')
  t.same(a.exported(), whole, 'nothing changed')

  // Into an emulator that has none of it, listening for its configured endpoint: the key's running task tells when it finishes.
  const c = emulator()
  c.clock.set(a.clock.now())
  c.state.import(mine, KEY)
  t.same(c.exported(KEY), mine)
  c.clock.advance(FINAL_AFTER)
  const balanceLow = mine['webhooks'].deliveries.find((delivery: Document) => delivery.event === 'balance.low')
  t.same(c.sentTo('/mine').map((each) => each.body['id']), [balanceLow.eventId, `${w.done.id}:task.completed`, `${w.running.id}:task.completed`], 'the one in flight at once, the retry, then the imported task when it finishes')
  await Promise.all(c.sent.map((each) => each.answer(200)))

  // A key never seen, into an emulator that listens: nothing of it, nothing else changed.
  const nobody = c.exported('tsk_nobody')
  t.same(nobody['webhooks'], { endpoints: [], deliveries: [], balanceLow: [] })
  t.same(c.state.import(nobody, 'tsk_nobody').parts['webhooks'], { endpoints: 0, deliveries: 0, waiting: 0 })
  t.equal(c.service.endpoints().length, 2)

  // Into an emulator with no endpoint at all: it starts listening for the key's.
  const d = emulator({ settings: { endpoints: [] } })
  d.clock.set(a.clock.now())
  d.state.import(mine, KEY)
  t.equal(d.service.stats().listening, true)
  d.clock.advance(FINAL_AFTER)
  t.ok(d.sentTo('/mine').some((each) => each.body['id'] === `${w.running.id}:task.completed`))
  await Promise.all(d.sent.map((each) => each.answer(200)))
})

t.test('configured endpoints stay as configured; the same one (id and URL) keeps its state, and its deliveries', async (t) => {
  const a = emulator({ settings: { retrySchedule: [0, 60_000] } })
  a.image({ status: 'failed' })
  a.clock.advance(FINAL_AFTER)
  await (a.sent[0] as Sent).answer(500)
  a.service.sendCustom('ep_config_1', 'ping')
  await (a.sent[1] as Sent).answer(200)
  a.service.setEnabled('ep_config_1', false)
  a.service.updateEndpoint('ep_config_1', { secret: 'whsec_changed_by_hand' })
  const document = a.exported()
  const [waiting, custom] = document['webhooks'].deliveries
  t.match(waiting, { endpointId: 'ep_config_1', status: 'pending' })
  t.match(custom, { endpointId: 'ep_config_1', key: null, event: 'custom', status: 'delivered', body: 'ping' }, 'a custom body to an endpoint of every key is about no key')

  const same = emulator({ settings: { endpoints: [{ url: CONFIGURED, secret: 'whsec_configured_again' }] } })
  same.state.import(document)
  t.match(same.service.endpoint('ep_config_1'), { url: CONFIGURED, secret: 'whsec_configured_again', events: undefined, enabled: false, disabledBy: 'control', origin: 'config' }, 'as configured, in the state it was')
  t.match(same.service.delivery(waiting.id), { status: 'pending', endpointId: 'ep_config_1' })

  const moved = emulator({ settings: { endpoints: [{ url: 'http://127.0.0.1:1/moved' }] } })
  moved.state.import(document)
  t.match(moved.service.endpoint('ep_config_1'), { url: 'http://127.0.0.1:1/moved', enabled: true, disabledBy: undefined }, 'another URL: afresh')
  moved.clock.advance(60_000)
  t.equal(moved.sentTo('/moved').length, 1, 'its waiting delivery goes to the endpoint\'s URL now')
  await (moved.sent[0] as Sent).answer(200)

  const none = emulator({ settings: { endpoints: [] } })
  none.clock.set(a.clock.now())
  t.same(none.state.import(document).parts['webhooks'], { endpoints: 0, deliveries: 2, waiting: 0 })
  t.same(none.exported()['webhooks'].deliveries[1], custom, 'its history stays')
  t.match(none.service.delivery(waiting.id), { status: 'failed', note: 'not sent: its endpoint is not in this emulator', nextAttemptAt: undefined })
  t.equal(none.service.stats().listening, false)
})

t.test('an import keeps the bounds: the newest waiting beyond webhookMaxPending fail, the oldest finished go', async (t) => {
  const a = emulator()
  await busy(a)
  const document = a.exported()
  const small = emulator({ settings: { maxPending: 1, historySize: 2 } })
  small.clock.set(a.clock.now())
  t.same(small.state.import(document).parts['webhooks'], { endpoints: 4, deliveries: 3, waiting: 1 })
  const kept = small.exported()['webhooks'].deliveries
  const [firstWaiting] = document['webhooks'].deliveries.filter((delivery: Document) => delivery.status === 'pending')
  t.same(kept.map((delivery: Document) => delivery.id), [firstWaiting.id, ...document['webhooks'].deliveries.slice(-2).map((delivery: Document) => delivery.id)])
  t.match(kept.slice(1), [
    { status: 'failed', note: 'not sent: the outbox is full (1 deliveries waiting, webhookMaxPending)' },
    { status: 'failed', note: 'not sent: the outbox is full (1 deliveries waiting, webhookMaxPending)' }
  ])
  t.match(small.service.delivery(firstWaiting.id), { status: 'pending', heldBack: true }, 'the first waiting one still waits')
})

t.test('a delivery whose task is no longer kept fails when it would leave', async (t) => {
  const a = emulator()
  const w = await busy(a)
  const theirs = a.exported(OTHER)
  theirs['tenants'] = []
  const b = emulator()
  b.clock.set(a.clock.now())
  b.state.import(theirs, OTHER)
  b.clock.advance(60_000)
  t.equal(b.sentTo('/theirs').length, 1, 'the custom body goes; the one held back has no task to render')
  t.match(b.service.deliveries({ taskId: w.other.id, status: 'failed' }), [{ note: 'not sent: its task is gone', attempts: [] }])
  await (b.sent[0] as Sent).answer(200)
  b.service.resend(w.dropped)
  t.match(b.service.delivery(w.dropped), { status: 'failed', note: 'not sent: its task is gone' })
})
