/**
 * Webhooks in `/__mock/state`, with a real receiver on 127.0.0.1: an exported delivery waiting for
 * its retry, imported into another emulator, is attempted there when the manual clock reaches it
 * (the same delivery id and body, signed with the endpoint's secret); one key's webhooks alone; a
 * refusal naming the field; and ids, wall clock and transport handed in make the same snapshot.
 */
import t from 'tap'
import { control } from '../fixtures/control.ts'
import { harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'
import { v3Calls } from '../fixtures/v3-calls.ts'
import { signedWith, startReceiver } from '../fixtures/webhook-receiver.ts'

type Document = Record<string, any>

const MODEL = { prompt: 'a red car', model: 'v3.1-20260211' }
const CONFIG = { durations: { text_to_model: { queuedMs: 0, runningMs: 10_000 } }, webhookRetrySchedule: ['0s', '10s'] }

t.test('a delivery waiting for its retry, exported and imported, is attempted when the clock reaches it', async (t) => {
  const hooks = await startReceiver(t)
  hooks.answer(() => ({ status: 503, body: 'down' }))
  const h = await harness(t, CONFIG)
  const endpoint = (await control(h)('POST', '/webhooks/endpoints', { key: KEY, body: { url: `${hooks.url}/hooks` } })).json()
  const taskId = await v3Calls(h).task('/generation/text-to-model', MODEL)
  h.clock.advance(10_000)
  const first = await hooks.request(1)
  await h.services.webhooks.idle()

  const document = (await control(h)('GET', '/state')).json()
  t.match(document['webhooks'], {
    endpoints: [{ id: endpoint.id, url: `${hooks.url}/hooks`, secret: endpoint.secret, key: KEY, origin: 'control', enabled: true }],
    deliveries: [{ endpointId: endpoint.id, key: KEY, taskId, event: 'task.completed', status: 'pending', nextAttemptAt: h.clock.now() + 10_000, body: first.body, attempts: [{ status: 503, response: 'down' }] }],
    balanceLow: []
  })

  const other = await harness(t, CONFIG)
  other.clock.set(h.clock.now())
  hooks.answer(() => ({ status: 200 }))
  const done = await control(other)('PUT', '/state', { body: document })
  t.equal(done.statusCode, 200, done.body)
  t.same(done.json().parts.webhooks, { endpoints: 1, deliveries: 1, waiting: 1 })
  const [delivery] = (await control(other)('GET', '/webhooks/deliveries')).json().deliveries
  t.match(delivery, { id: first.headers['tripo-webhook-delivery'], status: 'pending', nextAttemptAt: new Date(h.clock.now() + 10_000).toISOString(), attempts: [{ status: 503 }] })

  other.clock.advance(9_999)
  await other.services.webhooks.idle()
  t.equal(hooks.received.length, 1, 'not before its time')
  other.clock.advance(1)
  const second = await hooks.request(2)
  await other.services.webhooks.idle()
  t.same([second.headers['tripo-webhook-delivery'], second.headers['tripo-webhook-id'], second.body], [first.headers['tripo-webhook-delivery'], endpoint.id, first.body], 'the same delivery, endpoint and body')
  t.ok(signedWith(endpoint.secret, second), 'signed with the endpoint\'s secret')
  t.match((await control(other)('GET', `/webhooks/deliveries/${delivery.id as string}`)).json(), { status: 'delivered', attempts: [{ status: 503 }, { status: 200 }] })

  // The imported endpoint hears the imported emulator's tasks.
  await v3Calls(other).task('/generation/text-to-model', MODEL)
  other.clock.advance(10_000)
  t.equal((await hooks.request(3)).json['type'], 'task.completed')
  await other.services.webhooks.idle()
})

t.test('one key\'s webhooks alone, over HTTP; a bad endpoint refused with its field named', async (t) => {
  const h = await harness(t, CONFIG)
  const call = control(h)
  const mine = (await call('POST', '/webhooks/endpoints', { key: KEY, body: { url: 'http://127.0.0.1:1/mine' } })).json()
  await call('POST', '/webhooks/endpoints', { key: OTHER_KEY, body: { url: 'http://127.0.0.1:1/theirs' } })
  await call('POST', '/webhooks/endpoints', { body: { url: 'http://127.0.0.1:1/everyone' } })
  const document = (await call('GET', '/state', { key: KEY })).json()
  t.same(document['webhooks'].endpoints.map((endpoint: Document) => endpoint.id), [mine.id])

  await call('DELETE', `/webhooks/endpoints/${mine.id as string}`)
  const done = await call('PUT', '/state', { key: KEY, body: document })
  t.equal(done.statusCode, 200, done.body)
  t.same(done.json().parts.webhooks, { endpoints: 1, deliveries: 0, waiting: 0 })
  t.same((await call('GET', '/webhooks/endpoints')).json().endpoints.map((endpoint: Document) => endpoint.url), ['http://127.0.0.1:1/theirs', 'http://127.0.0.1:1/everyone', 'http://127.0.0.1:1/mine'])

  document['webhooks'].endpoints[0].url = 'mailto:hooks@example.test'
  const refused = await call('PUT', '/state', { key: KEY, body: document })
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { code: 9400, detail: 'webhooks.endpoints[0].url: "mailto:hooks@example.test" is not an http or https URL' })
})

t.test('ids, the wall clock and the transport handed in: the same requests make the same webhooks (how the demo state is made)', async (t) => {
  const snapshots = []
  for (let run = 0; run < 2; run++) {
    let counter = 0
    const sent: string[] = []
    const h = await harness(t, CONFIG, {
      newId: () => `00000000-0000-4000-8000-${String(counter++).padStart(12, '0')}`,
      urlSecret: Buffer.alloc(32, 1),
      wallNow: () => Date.UTC(2026, 5, 1),
      webhookTransport: {
        send: async (request) => {
          sent.push(request.url)
          return { latencyMs: 1, body: '', error: 'connect ECONNREFUSED 127.0.0.1:9' }
        }
      }
    })
    await control(h)('POST', '/webhooks/endpoints', { key: KEY, body: { url: 'http://127.0.0.1:9/hooks', secret: 'whsec_same' } })
    await v3Calls(h).task('/generation/text-to-model', MODEL)
    h.clock.advance(10_000)
    await h.services.webhooks.idle()
    t.same(sent, ['http://127.0.0.1:9/hooks'], 'through the transport handed in')
    snapshots.push((await control(h)('GET', '/state')).json()['webhooks'])
  }
  t.same(snapshots[0], snapshots[1])
  t.match(snapshots[0]?.deliveries[0], { id: /^00000000-0000-4000-8000-\d{12}$/, attempts: [{ signature: /^t=1780272000,v1=/, latencyMs: 1, error: 'connect ECONNREFUSED 127.0.0.1:9' }] })
})
