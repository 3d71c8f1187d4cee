/**
 * Webhooks from a Node test suite's point of view: the in-process handle's `webhooks` methods,
 * and a receiver that verifies with the package's own `verifyWebhookSignature`, as the README's
 * receiver example does.
 */
import { createServer } from 'node:http'
import { once } from 'node:events'
import t, { type Test } from 'tap'
import { ApiError, ConfigError, startTripoMock, verifyWebhookSignature, type WebhookSignatureVerdict } from '../src/index.ts'

const KEY = 'tsk_in_process_webhooks'
const MODEL = { prompt: 'a red car', model: 'v3.1-20260211' }

/** A receiver as a user's would be: it verifies, answers 400 to what does not, and keeps each event once. */
async function receiver (t: Test, secret: () => string) {
  const verdicts: WebhookSignatureVerdict[] = []
  const events = new Map<string, { type: string, data: { task_id?: string } }>()
  const arrivals: Array<() => void> = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const raw = Buffer.concat(chunks)
      const verdict = verifyWebhookSignature(raw, request.headers['tripo-webhook-signature'] as string | undefined, secret())
      verdicts.push(verdict)
      let event
      try {
        event = JSON.parse(raw.toString('utf8'))
      } catch {}
      if (verdict !== 'valid' || event === undefined) {
        response.writeHead(400).end(verdict)
      } else {
        events.set(request.headers['tripo-webhook-delivery'] as string, event)
        response.writeHead(200).end('thanks')
      }
      arrivals.shift()?.()
    })
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/tripo`,
    verdicts,
    events,
    /** Resolves when the next request has been answered. */
    next: () => new Promise<void>((resolve) => { arrivals.push(resolve) })
  }
}

t.test('the handle\'s webhooks: endpoints, deliveries, resend, trigger, send, idle', async (t) => {
  const mock = await startTripoMock({ clockMode: 'manual', logger: false, durations: { text_to_model: { queuedMs: 0, runningMs: 10_000 } } })
  t.teardown(() => mock.close())
  let secret = ''
  const hooks = await receiver(t, () => secret)
  const endpoint = mock.webhooks.addEndpoint({ url: hooks.url, events: ['task.completed', 'task.failed'] }, { key: KEY })
  secret = endpoint.secret
  t.match(endpoint, { scope: 'key', key: 'tsk_in_p…ooks', enabled: true })
  t.same(mock.webhooks.endpoints({ key: KEY }), { endpoints: [endpoint] }, 'GET /webhooks/endpoints\'s shape')
  t.same(mock.webhooks.endpoints({ key: 'tsk_someone_else' }), { endpoints: [] })
  t.same(mock.webhooks.endpoints(), { endpoints: [endpoint] })
  t.same(mock.webhooks.endpoint(endpoint.id), endpoint)

  const created = await fetch(`${mock.apiUrl}/generation/text-to-model`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(MODEL) })
  const taskId = (await created.json() as { data: { task_id: string } }).data.task_id
  const arrived = hooks.next()
  mock.clock.advance('10s')
  await arrived
  await mock.webhooks.idle()
  const { deliveries: [delivery], capacity } = mock.webhooks.deliveries({ key: KEY, taskId })
  t.equal(capacity, 1000, 'GET /webhooks/deliveries\'s shape')
  t.match(delivery, { status: 'delivered', event: 'task.completed', attempts: [{ status: 200, response: 'thanks' }] })
  t.same(mock.webhooks.delivery(delivery?.id as string), delivery)
  t.same(hooks.verdicts, ['valid'])
  t.equal(hooks.events.get(delivery?.id as string)?.data.task_id, taskId)

  // The receiver is idempotent: a resend has the same delivery id.
  const resent = hooks.next()
  t.equal(mock.webhooks.resend(delivery?.id as string).status, 'sending')
  await resent
  await mock.webhooks.idle()
  t.equal(hooks.events.size, 1, 'kept once')

  // A secret the receiver does not know yet: refused with 400, then the receiver catches up.
  mock.webhooks.updateEndpoint(endpoint.id, { secret: 'whsec_rotated_in_the_console' })
  const refused = hooks.next()
  const { deliveries: [triggered] } = mock.webhooks.trigger({ taskId })
  await refused
  await mock.webhooks.idle()
  t.equal(hooks.verdicts.at(-1), 'mismatch')
  t.match(mock.webhooks.delivery(triggered?.id as string), { status: 'pending', attempts: [{ status: 400, response: 'mismatch' }] })
  secret = 'whsec_rotated_in_the_console'
  const retried = hooks.next()
  mock.clock.advance('5s')
  await retried
  await mock.webhooks.idle()
  t.equal(mock.webhooks.delivery(triggered?.id as string).status, 'delivered')

  const sent = hooks.next()
  const custom = mock.webhooks.send(endpoint.id, { id: 'evt_1', type: 'task.failed', data: {} }, { event: 'task.failed' })
  await sent
  t.match(custom, { event: 'task.failed', eventId: 'evt_1' })
  mock.webhooks.send(endpoint.id, 'plain text')
  await mock.webhooks.idle()
  t.match(mock.webhooks.deliveries({ limit: 1 }).deliveries, [{ event: 'custom', body: 'plain text', attempts: [{ status: 400 }] }], 'signed, but the receiver wants JSON')

  t.match(mock.webhooks.disable(endpoint.id), { enabled: false, disabledBy: 'control' })
  t.match(mock.webhooks.enable(endpoint.id), { enabled: true })
  t.same(mock.webhooks.removeEndpoint(endpoint.id), { removed: endpoint.id })
  t.same(mock.webhooks.endpoints(), { endpoints: [] })
  t.throws(() => mock.webhooks.addEndpoint(null as never), new ApiError('MOCK_BAD_REQUEST', { detail: 'give the endpoint as {url, secret?, events?, enabled?}' }))
  t.throws(() => mock.webhooks.addEndpoint({ url: 'gopher://x' }), /not an http or https URL/)
  t.throws(() => mock.webhooks.send(endpoint.id, {}), /no webhook endpoint/)
})

t.test('a configured endpoint that is not a URL, or a retry later than a year, stops the start', async (t) => {
  await t.rejects(startTripoMock({ logger: false, webhooks: [{ url: 'http://' }] }), new ConfigError('invalid setting webhooks (option): url: "http://" is not an http or https URL'))
  await t.rejects(startTripoMock({ logger: false, webhookRetrySchedule: ['0s', '8761h'] }), new ConfigError('invalid setting webhookRetrySchedule (option): 8761h is more than 8760h (a year)'))
})
