/**
 * The built-in webhook scenarios, as a receiver on 127.0.0.1 sees them: late, duplicated, out of
 * order, badly signed, stale, signed with a rotated secret, dropped. Each is bound to the key
 * whose tasks finish; the signatures are checked with the test's own HMAC.
 */
import t, { type Test } from 'tap'
import { control } from '../fixtures/control.ts'
import { harness, KEY, OTHER_KEY } from '../fixtures/harness.ts'
import { v3Calls } from '../fixtures/v3-calls.ts'
import { parseSignature, signedWith, startReceiver } from '../fixtures/webhook-receiver.ts'

const SECRET = 'whsec_scenarios'
const MODEL = { prompt: 'a red car', model: 'v3.1-20260211' }
const DURATIONS = { text_to_model: { queuedMs: 0, runningMs: 10_000 } }

const setup = async (t: Test, scenario: string) => {
  const hooks = await startReceiver(t)
  const h = await harness(t, { durations: DURATIONS, webhooks: [{ url: `${hooks.url}/hooks`, secret: SECRET }] })
  const call = control(h)
  t.equal((await call('POST', `/scenarios/${scenario}/activate`, { key: KEY })).statusCode, 200)
  const v3 = v3Calls(h)
  return { hooks, h, call, task: (key = KEY) => v3.task('/generation/text-to-model', MODEL, key) }
}

t.test('webhook-late: 30 s after the event, on the emulator clock', async (t) => {
  const { hooks, h, call, task } = await setup(t, 'webhook-late')
  await task()
  h.clock.advance(10_000 + 29_999)
  const [waiting] = (await call('GET', '/webhooks/deliveries')).json().deliveries
  t.match(waiting, { status: 'pending', injectedBy: 'webhook-late/late', attempts: [] })
  h.clock.advance(1)
  await hooks.request(1)
  await h.services.webhooks.idle()
  t.match((await call('GET', `/webhooks/deliveries/${waiting.id}`)).json(), { status: 'delivered', attempts: [{ at: new Date(h.clock.now()).toISOString() }] })
  const [entry] = (await call('GET', '/journal?operation=deliverWebhook')).json().entries
  t.equal(entry.injectedBy, 'webhook-late/late', 'the journal names the rule')
})

t.test('webhook-duplicated: the same delivery twice', async (t) => {
  const { hooks, h, task } = await setup(t, 'webhook-duplicated')
  await task()
  h.clock.advance(10_000)
  const [first, second] = [await hooks.request(1), await hooks.request(2)]
  t.equal(first.headers['tripo-webhook-delivery'], second.headers['tripo-webhook-delivery'])
  t.equal(first.body, second.body)
  t.ok(signedWith(SECRET, first) && signedWith(SECRET, second))
  await h.services.webhooks.idle()
  t.match(h.services.webhooks.deliveries(), [{ status: 'delivered', attempts: [{ kind: 'scheduled' }, { kind: 'duplicate' }] }])
})

t.test('webhook-out-of-order: a later event first', async (t) => {
  const { hooks, h, task } = await setup(t, 'webhook-out-of-order')
  const earlier = await task()
  h.clock.advance(1000)
  const later = await task()
  h.clock.advance(10_000)
  t.equal((await hooks.request(1)).json['data'].task_id, later)
  t.equal((await hooks.request(2)).json['data'].task_id, earlier)
  t.equal(hooks.received[1]?.json['created_at'] < (hooks.received[0]?.json['created_at'] as string), true, 'created_at tells the true order')
  await h.services.webhooks.idle()
})

t.test('webhook-bad-signature, webhook-stale-signature, webhook-rotated-secret', async (t) => {
  await t.test('bad: no v1 verifies', async (t) => {
    const { hooks, h, task } = await setup(t, 'webhook-bad-signature')
    await task()
    h.clock.advance(10_000)
    const request = await hooks.request(1)
    t.equal(parseSignature(request.headers['tripo-webhook-signature']).v1.length, 1)
    t.notOk(signedWith(SECRET, request))
    await h.services.webhooks.idle()
  })
  await t.test('stale: a right signature for a t ten minutes old', async (t) => {
    const { hooks, h, task } = await setup(t, 'webhook-stale-signature')
    await task()
    const before = Math.floor(Date.now() / 1000)
    h.clock.advance(10_000)
    const request = await hooks.request(1)
    const after = Math.ceil(Date.now() / 1000)
    const { t: timestamp } = parseSignature(request.headers['tripo-webhook-signature'])
    t.ok(timestamp >= before - 600 && timestamp <= after - 600, 'ten minutes before the wall clock')
    t.ok(signedWith(SECRET, request))
    await h.services.webhooks.idle()
  })
  await t.test('rotated: two v1, the second the endpoint\'s', async (t) => {
    const { hooks, h, task } = await setup(t, 'webhook-rotated-secret')
    await task()
    h.clock.advance(10_000)
    const request = await hooks.request(1)
    const { t: timestamp, v1 } = parseSignature(request.headers['tripo-webhook-signature'])
    t.equal(v1.length, 2)
    t.notOk(signedWith(SECRET, { ...request, headers: { 'tripo-webhook-signature': `t=${timestamp},v1=${v1[0] as string}` } }), 'not the first')
    t.ok(signedWith(SECRET, { ...request, headers: { 'tripo-webhook-signature': `t=${timestamp},v1=${v1[1] as string}` } }), 'the second')
    await h.services.webhooks.idle()
  })
})

t.test('webhook-dropped: never sent, recorded as dropped; a resend sends it; other keys are untouched', async (t) => {
  const { hooks, h, call, task } = await setup(t, 'webhook-dropped')
  await task()
  await task(OTHER_KEY)
  h.clock.advance(10_000)
  const delivered = await hooks.request(1)
  await h.services.webhooks.idle()
  t.equal(delivered.json['data'].task_id, h.services.webhooks.deliveries({ key: OTHER_KEY })[0]?.taskId)
  const [dropped] = (await call('GET', '/webhooks/deliveries?status=dropped')).json().deliveries
  t.match(dropped, { key: 'tsk_test…0001', note: 'dropped by webhook-dropped/dropped', attempts: [], body: null })
  t.equal(hooks.received.length, 1)
  await call('POST', `/webhooks/deliveries/${dropped.id}/resend`)
  t.equal((await hooks.request(2)).headers['tripo-webhook-delivery'], dropped.id)
  await h.services.webhooks.idle()
})
