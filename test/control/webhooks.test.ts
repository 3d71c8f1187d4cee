/**
 * `/__mock/webhooks` with a real receiver on 127.0.0.1: endpoints for one key or every key (add,
 * list, show, change, enable, disable, remove), deliveries with their attempts and filters, the
 * history bound, resend, trigger, a custom body, and the refusals.
 */
import t from 'tap'
import { control } from '../fixtures/control.ts'
import { harness, KEY, OTHER_KEY, START } from '../fixtures/harness.ts'
import { v3Calls } from '../fixtures/v3-calls.ts'
import { signedWith, startReceiver } from '../fixtures/webhook-receiver.ts'

const MODEL = { prompt: 'a red car', model: 'v3.1-20260211' }
const DURATIONS = { text_to_model: { queuedMs: 0, runningMs: 10_000 } }

t.test('endpoints: for one key or every key, listed, changed, disabled, enabled, removed', async (t) => {
  const hooks = await startReceiver(t)
  const h = await harness(t, { durations: DURATIONS })
  const call = control(h)
  const v3 = v3Calls(h)

  const added = await call('POST', '/webhooks/endpoints', { key: KEY, body: { url: `${hooks.url}/mine`, events: ['task.completed'] } })
  t.equal(added.statusCode, 201)
  const mine = added.json()
  t.match(mine, { id: /^ep_[0-9a-f-]{36}$/, url: `${hooks.url}/mine`, secret: /^whsec_[A-Za-z0-9_-]{43}$/, events: ['task.completed'], scope: 'key', key: 'tsk_test…0001', origin: 'control', enabled: true, disabledBy: null, consecutiveFailures: 0, createdAt: new Date(START).toISOString() })
  const all = (await call('POST', '/webhooks/endpoints', { body: { url: `${hooks.url}/all`, secret: 'whsec_everyone', enabled: false } })).json()
  t.match(all, { scope: 'all', key: null, enabled: false, disabledBy: 'control', secret: 'whsec_everyone' })
  const theirs = (await call('POST', '/webhooks/endpoints', { key: OTHER_KEY, body: { url: `${hooks.url}/theirs` } })).json()

  t.same((await call('GET', '/webhooks/endpoints')).json().endpoints.map((endpoint: { id: string }) => endpoint.id), [mine.id, all.id, theirs.id])
  t.same((await call('GET', '/webhooks/endpoints', { key: KEY })).json().endpoints.map((endpoint: { id: string }) => endpoint.id), [mine.id, all.id], 'a key\'s own and every key\'s')
  t.same((await call('GET', `/webhooks/endpoints/${mine.id}`)).json(), mine)

  t.match((await call('PATCH', `/webhooks/endpoints/${mine.id}`, { body: { events: null, secret: 'whsec_changed' } })).json(), { events: ['task.completed', 'task.failed', 'balance.low'], secret: 'whsec_changed', url: mine.url })
  t.match((await call('POST', `/webhooks/endpoints/${all.id}/enable`)).json(), { enabled: true, disabledBy: null })
  await v3.task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  await hooks.request(2)
  await h.services.webhooks.idle()
  t.same(hooks.received.map((request) => request.path).sort(), ['/all', '/mine'])
  t.ok(signedWith('whsec_changed', hooks.received.find((request) => request.path === '/mine')!), 'signed with the new secret')
  t.ok(signedWith('whsec_everyone', hooks.received.find((request) => request.path === '/all')!))

  t.match((await call('POST', `/webhooks/endpoints/${mine.id}/disable`)).json(), { enabled: false, disabledBy: 'control' })
  t.same((await call('DELETE', `/webhooks/endpoints/${theirs.id}`)).json(), { removed: theirs.id })
  t.equal((await call('GET', `/webhooks/endpoints/${theirs.id}`)).statusCode, 404)
  await v3.task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  await hooks.request(3)
  await h.services.webhooks.idle()
  t.equal(hooks.received.at(-1)?.path, '/all', 'the disabled endpoint gets nothing')
  t.equal(hooks.received.length, 3)
})

t.test('refusals name what was wrong', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const refused = async (method: 'POST' | 'PATCH' | 'GET' | 'DELETE', path: string, body: unknown, status: number, detail: RegExp) => {
    const response = await call(method, path, body === undefined ? {} : { body })
    t.equal(response.statusCode, status, `${method} ${path} ${JSON.stringify(body)}`)
    t.match(response.json(), { code: status === 404 ? 9410 : 9400, detail })
  }
  await refused('POST', '/webhooks/endpoints', { url: 'ftp://x' }, 400, /url: "ftp:\/\/x" is not an http or https URL/)
  await refused('POST', '/webhooks/endpoints', { url: 'http://x', secret: 'sekrit' }, 400, /secret: must be the whole whsec_/)
  await refused('POST', '/webhooks/endpoints', { url: 'http://x', events: ['task.done'] }, 400, /events/)
  await refused('POST', '/webhooks/endpoints', { url: 'http://x', colour: 'red' }, 400, /must NOT have additional properties/)
  await refused('POST', '/webhooks/endpoints', {}, 400, /url/)
  await refused('PATCH', '/webhooks/endpoints/ep_nope', {}, 404, /no webhook endpoint ep_nope/)
  await refused('POST', '/webhooks/endpoints/ep_nope/enable', undefined, 404, /no webhook endpoint/)
  await refused('DELETE', '/webhooks/endpoints/ep_nope', undefined, 404, /no webhook endpoint/)
  await refused('POST', '/webhooks/endpoints/ep_nope/send', { body: {} }, 404, /no webhook endpoint/)
  await refused('GET', '/webhooks/deliveries/nope', undefined, 404, /no webhook delivery nope/)
  await refused('POST', '/webhooks/deliveries/nope/resend', undefined, 404, /no webhook delivery/)
  await refused('POST', '/webhooks/trigger', { taskId: 'nope' }, 404, /no task nope/)
  await refused('POST', '/webhooks/trigger', {}, 400, /give a taskId/)
  await refused('POST', '/webhooks/trigger', { event: 'balance.low' }, 400, /balance\.low is about a key/)
  await refused('POST', '/webhooks/trigger', { event: 'task.started' }, 400, /event/)
  const ep = (await call('POST', '/webhooks/endpoints', { body: { url: 'http://127.0.0.1:1/x' } })).json()
  await refused('PATCH', `/webhooks/endpoints/${ep.id}`, { url: 'nowhere' }, 400, /not an http or https URL/)
  await refused('POST', `/webhooks/endpoints/${ep.id}/send`, {}, 400, /required property 'body'/)
  t.equal((await call('GET', '/webhooks/deliveries?status=lost')).statusCode, 400)
})

t.test('deliveries: filters, every attempt, the history bound; resend, trigger and a custom body', async (t) => {
  const hooks = await startReceiver(t)
  hooks.answer((_request, n) => n === 1 ? { status: 500, body: 'not yet' } : { status: 200 })
  const h = await harness(t, { durations: DURATIONS, webhooks: [{ url: `${hooks.url}/hooks`, secret: 'whsec_configured' }], webhookRetrySchedule: ['0s'], webhookHistorySize: 3, startingCredits: 1000 })
  const call = control(h)
  const v3 = v3Calls(h)
  const endpoint = h.services.webhooks.endpoints()[0]?.id as string
  const task = await v3.task('/generation/text-to-model', MODEL)
  const other = await v3.task('/generation/text-to-model', MODEL, OTHER_KEY)
  h.clock.advance(10_000)
  await hooks.request(2)
  await h.services.webhooks.idle()

  const list = await call('GET', '/webhooks/deliveries')
  t.equal(list.json().capacity, 3)
  t.equal(list.json().deliveries.length, 2)
  const [failed] = (await call('GET', '/webhooks/deliveries?status=failed')).json().deliveries
  t.match(failed, { status: 'failed', attempts: [{ kind: 'scheduled', status: 500, response: 'not yet', error: null, url: `${hooks.url}/hooks`, signature: /^t=\d+,v1=[0-9a-f]{64}$/ }] })
  t.same((await call('GET', `/webhooks/deliveries?task=${task}`, { key: KEY })).json().deliveries.map((delivery: { taskId: string }) => delivery.taskId), [task])
  t.same((await call('GET', `/webhooks/deliveries?task=${task}`, { key: OTHER_KEY })).json().deliveries, [], 'the key filter is exact')
  t.equal((await call('GET', `/webhooks/deliveries?endpoint=${endpoint}&event=task.completed&limit=1`)).json().deliveries.length, 1)
  t.equal((await call('GET', '/webhooks/deliveries?event=task.failed')).json().deliveries.length, 0)
  t.same((await call('GET', `/webhooks/deliveries/${failed.id}`)).json(), failed)

  const resent = await call('POST', `/webhooks/deliveries/${failed.id}/resend`)
  t.match(resent.json(), { id: failed.id, status: 'sending' })
  const again = await hooks.request(3)
  t.equal(again.headers['tripo-webhook-delivery'], failed.id, 'the same delivery id')
  t.equal(again.body, failed.body, 'and body')
  await h.services.webhooks.idle()
  t.match((await call('GET', `/webhooks/deliveries/${failed.id}`)).json(), { status: 'delivered', attempts: [{ kind: 'scheduled', status: 500 }, { kind: 'resend', status: 200 }] })

  const triggered = await call('POST', '/webhooks/trigger', { body: { taskId: other } })
  t.equal(triggered.statusCode, 201)
  t.match(triggered.json().deliveries, [{ event: 'task.completed', taskId: other, key: 'tsk_test…0002', status: 'sending' }])
  const trigger = await hooks.request(4)
  t.equal(trigger.json['id'], `${other}:task.completed`)
  t.not(trigger.headers['tripo-webhook-delivery'], failed.id)
  await h.services.webhooks.idle()

  const low = await call('POST', '/webhooks/trigger', { key: KEY, body: { event: 'balance.low', endpoint } })
  t.match(low.json().deliveries, [{ event: 'balance.low', key: 'tsk_test…0001', endpointId: endpoint }])
  t.match((await hooks.request(5)).json, { type: 'balance.low', data: { threshold: 100 } })
  await h.services.webhooks.idle()

  const custom = await call('POST', `/webhooks/endpoints/${endpoint}/send`, { body: { body: { id: 'evt_custom', type: 'task.completed', data: { task_id: 'made-up' } }, event: 'task.completed' } })
  t.equal(custom.statusCode, 201)
  t.match(custom.json(), { event: 'task.completed', eventId: 'evt_custom', key: null, taskId: null })
  const received = await hooks.request(6)
  t.same(received.json, { id: 'evt_custom', type: 'task.completed', data: { task_id: 'made-up' } })
  t.ok(signedWith('whsec_configured', received))
  await h.services.webhooks.idle()

  t.equal((await call('GET', '/webhooks/deliveries')).json().deliveries.length, 3, 'the oldest finished deliveries went beyond webhookHistorySize')
})

t.test('a reset forgets the control plane\'s endpoints and the deliveries, and restores the configured endpoints', async (t) => {
  const h = await harness(t, { webhooks: [{ url: 'http://127.0.0.1:1/configured' }] })
  const call = control(h)
  const [configured] = (await call('GET', '/webhooks/endpoints')).json().endpoints
  await call('POST', `/webhooks/endpoints/${configured.id}/disable`)
  await call('POST', '/webhooks/endpoints', { key: KEY, body: { url: 'http://127.0.0.1:1/mine' } })
  await call('POST', '/reset/tenant', { key: KEY })
  t.same((await call('GET', '/webhooks/endpoints')).json().endpoints.map((endpoint: { id: string, enabled: boolean }) => [endpoint.id, endpoint.enabled]), [[configured.id, false]], 'a key\'s reset takes its endpoints')
  await call('POST', '/reset')
  t.same((await call('GET', '/webhooks/endpoints')).json().endpoints, [configured], 'a full reset: as configured, same id and secret')
})

t.test('the control token guards the webhook routes too', async (t) => {
  const h = await harness(t, { controlToken: 'sekrit' })
  const call = control(h)
  t.equal((await call('GET', '/webhooks/endpoints')).statusCode, 401)
  t.equal((await call('GET', '/webhooks/endpoints', { token: 'sekrit' })).statusCode, 200)
})
