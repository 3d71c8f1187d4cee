/**
 * The journal through HTTP: what a request leaves in it, finding it by trace id and the other
 * filters, early retries after a 429 (on manual and real clocks), count, clear, and what is never
 * recorded.
 */
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { createClock } from '../../src/domain/clock.ts'
import { ApiError } from '../../src/domain/errors.ts'
import { loadConfig } from '../../src/infra/config.ts'
import { keyIdOf } from '../../src/control/common.ts'
import { control } from '../fixtures/control.ts'
import { bearer, harness, KEY, OTHER_KEY, START } from '../fixtures/harness.ts'

interface Entry { traceId: string, key: string | null, operation: string, path: string, status: number, code: number, earlyRetry: boolean, injectedBy: string | null, method: string }

const multiview = { type: 'generate_multiview_image', file: { url: 'https://x/y.png' } }

t.test('a request is found by its trace id, with everything the journal keeps', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  h.clock.advance(1500)
  const read = await h.app.inject({ url: `/v2/openapi/task/${id}?verbose=1`, headers: bearer() })
  const traceId = String(read.headers['x-tripo-trace-id'])

  const found = await call('GET', `/journal?traceId=${traceId}`)
  t.equal(found.statusCode, 200)
  const { entries, capacity } = found.json()
  t.equal(capacity, 1000, 'journalSize')
  t.equal(entries.length, 1)
  t.match(entries[0], {
    time: new Date(START + 1500).toISOString(),
    traceId,
    key: 'tsk_test…0001',
    operation: 'getTask',
    method: 'GET',
    path: `/v2/openapi/task/${id}`,
    status: 200,
    code: 0,
    injectedBy: null,
    earlyRetry: false
  })
  t.type(entries[0].latencyMs, 'number')
  t.ok(entries[0].latencyMs >= 0)
  t.notOk(found.body.includes(KEY), 'the full key is never returned')
})

t.test('errors carry their catalogue code; unknown routes are "unknown"; keys come from the bearer when auth failed', async (t) => {
  const h = await harness(t, { apiKeys: [KEY] })
  const call = control(h)
  await h.getTask('missing')
  await h.app.inject({ url: '/v2/openapi/nothing?x=1', headers: bearer() })
  await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer(OTHER_KEY) })
  await h.app.inject({ url: '/v2/openapi/user/balance' })
  const entries = (await call('GET', '/journal')).json().entries as Entry[]
  t.match(entries, [
    { key: null, operation: 'getBalance', status: 401, code: 1002 },
    { key: 'tsk_test…0002', operation: 'getBalance', status: 401, code: 1002 },
    { key: 'tsk_test…0001', operation: 'unknown', path: '/v2/openapi/nothing', status: 404, code: 9404 },
    { key: 'tsk_test…0001', operation: 'getTask', path: '/v2/openapi/task/missing', status: 404, code: 2001 }
  ])
  t.equal(entries.length, 4)
})

t.test('never recorded: the control plane, its unknown routes, the docs', async (t) => {
  const h = await harness(t)
  const call = control(h)
  await call('GET', '/clock')
  await call('GET', '/nothing')
  await call('GET', '/docs/json')
  await h.app.inject({ url: '/docs/json' })
  await call('GET', '/journal')
  t.same((await call('GET', '/journal/count')).json(), { count: 0 })
})

t.test('an early retry after a 429 is flagged; one after Retry-After is not', async (t) => {
  const h = await harness(t, { concurrencyLimits: { multiview_generation: 1 }, durations: { generate_multiview_image: { queuedMs: 0, runningMs: 10_000 } } })
  const call = control(h)
  await h.newTask(multiview)
  const refused = await h.createTask(multiview)
  t.equal(refused.statusCode, 429)
  t.equal(refused.headers['retry-after'], '10')
  h.clock.advance(9999)
  const early = await h.createTask(multiview)
  t.equal(early.statusCode, 429, 'still refused')
  await h.createTask(multiview, OTHER_KEY)
  await h.getTask('x')

  const flagged = (await call('GET', '/journal?earlyRetry=true')).json().entries as Entry[]
  t.equal(flagged.length, 1, 'only the retry of the same key and operation')
  t.match(flagged[0], { traceId: early.headers['x-tripo-trace-id'], operation: 'createTask', status: 429, code: 2000, earlyRetry: true })

  t.equal(early.headers['retry-after'], '1', 'the early retry was told to wait again')
  h.clock.advance(1000)
  const onTime = await h.createTask(multiview)
  t.equal(onTime.statusCode, 200)
  t.match((await call('GET', `/journal?traceId=${onTime.headers['x-tripo-trace-id']}`)).json().entries[0], { earlyRetry: false })
  t.same((await call('GET', '/journal/count?earlyRetry=true')).json(), { count: 1 })
})

t.test('on a real clock Retry-After is in wall seconds: the window scales with the speed', async (t) => {
  let wall = 1_000_000
  const clock = createClock({ mode: 'real', speed: 4, start: START, wallNow: () => wall })
  const { app } = await buildApp({ config: loadConfig({ overrides: { requestsPerSecond: 1 } }), overrides: { clock }, logger: false })
  t.teardown(() => app.close())
  const balance = () => app.inject({ url: '/v2/openapi/user/balance', headers: bearer() })
  t.equal((await balance()).statusCode, 200)
  const limited = await balance()
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['retry-after'], '1', 'a 1000 ms virtual window is 250 wall ms: rounded up to 1 s')
  wall += 999 // 3996 virtual ms: the rate window is over, but the client was told to wait a whole wall second (4000 virtual ms)
  t.equal((await balance()).statusCode, 200)
  wall += 250 // 4996 virtual ms: past Retry-After, and in a fresh rate window
  t.equal((await balance()).statusCode, 200)
  const entries = (await control({ app })('GET', '/journal')).json().entries as Entry[]
  t.same(entries.map((entry) => [entry.status, entry.earlyRetry]), [[200, false], [200, true], [429, false], [200, false]])
})

t.test('filters: key (exact), operation, status, since, limit; count', async (t) => {
  const h = await harness(t)
  const call = control(h)
  await h.newTask({ type: 'text_to_model', prompt: 'a' })
  h.clock.advance(60_000)
  await h.balance(OTHER_KEY)
  await h.getTask('nope')
  const count = async (query: string, key?: string) => (await call('GET', `/journal/count${query}`, key === undefined ? {} : { key })).json().count
  t.equal(await count(''), 3)
  t.equal(await count('', KEY), 2)
  t.equal(await count('', OTHER_KEY), 1)
  t.equal(await count('', 'tsk_test_primary'), 0, 'a prefix of a key is not the key')
  t.equal(await count('?operation=createTask'), 1)
  t.equal(await count('?status=404'), 1)
  t.equal(await count(`?since=${new Date(START + 60_000).toISOString()}`), 2)
  t.equal(await count(`?since=${START + 60_001}`), 0, 'epoch ms')
  t.equal(await count('?status=404&operation=getTask', KEY), 1)
  const limited = (await call('GET', '/journal?limit=1')).json().entries as Entry[]
  t.match(limited, [{ operation: 'getTask' }], 'newest first')
  t.match((await call('GET', '/journal?since=yesterday')).json(), { code: 9400, detail: /since/ })
  t.match((await call('GET', '/journal?operation=teleport')).json(), { code: 9400 })
  t.match((await call('GET', '/journal?limit=0')).json(), { code: 9400 })
})

t.test('clear: everything, or one key\'s entries', async (t) => {
  const h = await harness(t)
  const call = control(h)
  await h.balance()
  await h.balance()
  await h.balance(OTHER_KEY)
  t.same((await call('DELETE', '/journal', { key: KEY })).json(), { removed: 2 })
  t.same((await call('GET', '/journal/count')).json(), { count: 1 })
  t.same((await call('DELETE', '/journal')).json(), { removed: 1 })
  t.same((await call('GET', '/journal/count')).json(), { count: 0 })
})

t.test('the journal is bounded by journalSize', async (t) => {
  const h = await harness(t, { journalSize: 2 })
  for (let i = 0; i < 5; i++) await h.balance()
  const { entries, capacity } = (await control(h)('GET', '/journal')).json()
  t.equal(capacity, 2)
  t.equal(entries.length, 2)
})

t.test('the rule that fired is recorded, and a route keeps its own response hooks', async (t) => {
  const h = await harness(t)
  const heard: string[] = []
  h.app.get('/v2/openapi/test/injected', {
    config: { operation: 'getTask', surface: 'v2' },
    onResponse: (_request, _reply, done) => { heard.push('single'); done() }
  }, async (request) => {
    request.injectedBy = 'slow-network/delay'
    return { code: 0 }
  })
  h.app.get('/v2/openapi/test/failing', {
    config: { operation: 'createTask', surface: 'v2' },
    onResponse: [(_request, _reply, done) => { heard.push('array'); done() }]
  }, async () => {
    throw new ApiError('FATAL_ERROR', { injectedBy: 'outage/fatal' })
  })
  await h.app.inject({ url: '/v2/openapi/test/injected' })
  await h.app.inject({ url: '/v2/openapi/test/failing' })
  await h.app.inject({ method: 'HEAD', url: '/v2/openapi/test/injected' })
  t.same(heard, ['single', 'array', 'single'])
  const entries = (await control(h)('GET', '/journal')).json().entries as Entry[]
  t.match(entries, [
    { method: 'HEAD', operation: 'getTask', injectedBy: 'slow-network/delay' },
    { operation: 'createTask', status: 500, code: 1001, injectedBy: 'outage/fatal' },
    { method: 'GET', operation: 'getTask', status: 200, code: 0, injectedBy: 'slow-network/delay' }
  ])
  t.equal(entries.length, 3, 'a HEAD request is recorded once')
})

t.test('keys sent to the control plane never reach the logs', async (t) => {
  const h = await harness(t)
  const secret = 'tsk_control_plane_secret_key_0042'
  await control(h)('PATCH', '/credits', { key: secret, body: { balance: 5 } })
  await control(h)('GET', '/journal', { key: secret })
  t.notOk(h.rawLogs().includes(secret))
  t.notOk(h.rawLogs().includes('tsk_control_plane'))
})

t.test('one request in full: URL, headers and bodies, the API key masked; answers kept as sent', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const created = await h.app.inject({ method: 'POST', url: '/v2/openapi/task?x=1', headers: { ...bearer(), 'x-app': 'checkout' }, payload: { type: 'text_to_model', prompt: 'a red teapot' } })
  const traceId = String(created.headers['x-tripo-trace-id'])
  const detail = (await call('GET', `/journal/${traceId}`)).json()
  t.match(detail, {
    traceId,
    key: 'tsk_test…0001',
    keyId: keyIdOf(KEY),
    surface: 'v2',
    url: '/v2/openapi/task?x=1',
    path: '/v2/openapi/task',
    request: {
      headers: { authorization: 'Bearer tsk_test…0001', 'x-app': 'checkout', 'content-type': 'application/json' },
      body: { text: '{"type":"text_to_model","prompt":"a red teapot"}', length: 48, truncated: false }
    },
    response: {
      headers: { 'x-tripo-trace-id': traceId, 'content-type': /application\/json/ },
      body: { text: created.body, length: created.body.length, truncated: false }
    }
  })
  t.notOk(JSON.stringify(detail).includes(KEY), 'the full key is never shown')

  const id = (created.json() as { data: { task_id: string } }).data.task_id
  h.clock.advance(60_000)
  const read = await h.getTask(id)
  const model = String((read.json() as { data: { output: { pbr_model: string } } }).data.output.pbr_model)
  const download = await h.app.inject({ url: model.slice(model.indexOf('/files/')) })
  const file = (await call('GET', `/journal/${String(download.headers['x-tripo-trace-id'])}`)).json()
  t.match(file, { operation: 'download', surface: 'files', request: { body: { text: null, length: 0 } }, response: { body: { text: null, length: 0, truncated: false }, headers: { 'content-type': 'model/gltf-binary' } } }, 'a file answer keeps no body')
  t.match((await call('GET', '/journal/nope')).json(), { code: 9410, detail: /no request nope/ })
})

t.test('bodies longer than journalBodyLimit are kept cut short; 0 keeps none', async (t) => {
  const h = await harness(t, { journalBodyLimit: 10 })
  const call = control(h)
  const sent = await h.createTask({ type: 'text_to_model', prompt: 'x'.repeat(100) })
  const detail = (await call('GET', `/journal/${String(sent.headers['x-tripo-trace-id'])}`)).json()
  t.same(detail.request.body, { text: '{"type":"t', length: JSON.stringify({ type: 'text_to_model', prompt: 'x'.repeat(100) }).length, truncated: true })
  t.same(detail.response.body, { text: sent.body.slice(0, 10), length: sent.body.length, truncated: true })

  const none = await harness(t, { journalBodyLimit: 0 })
  const other = await none.createTask({ type: 'text_to_model', prompt: 'y' })
  t.same((await control(none)('GET', `/journal/${String(other.headers['x-tripo-trace-id'])}`)).json().request.body, { text: null, length: 0, truncated: false })
})

t.test('JSON bodies are parsed as before: malformed and poisoned ones are refused', async (t) => {
  const h = await harness(t)
  const malformed = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), 'content-type': 'application/json' }, payload: '{"type":' })
  t.equal(malformed.statusCode, 400)
  const poisoned = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), 'content-type': 'application/json' }, payload: '{"type":"text_to_model","prompt":"x","__proto__":{"a":1}}' })
  t.equal(poisoned.statusCode, 400)
  t.equal((await control(h)('GET', `/journal/${String(malformed.headers['x-tripo-trace-id'])}`)).json().request.body.text, '{"type":', 'what could not be parsed is shown as sent')
})

t.test('filters: error code, injecting rule or scenario, surface, text in URL, headers and bodies; a key by its id', async (t) => {
  const h = await harness(t)
  const call = control(h)
  await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), 'x-app': 'Checkout-Service' }, payload: { type: 'text_to_model', prompt: 'a blue whale' } })
  await h.getTask('missing')
  await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(OTHER_KEY), 'x-tripo-mock-scenario': 'error-2010' }, payload: { type: 'text_to_model', prompt: 'x' } })
  await h.app.inject({ url: '/nowhere?needle=1' })
  const traces = async (query: string, headers: Record<string, string> = {}) =>
    ((await h.app.inject({ url: `/__mock/journal${query}`, headers })).json().entries as Entry[]).map((entry) => `${entry.operation} ${entry.status}`)
  t.same(await traces('?code=2001'), ['getTask 404'])
  t.same(await traces('?code=0'), ['createTask 200'])
  t.same(await traces('?injectedBy=error-2010'), ['createTask 403'], 'a whole scenario')
  t.same(await traces('?injectedBy=error-20'), [], 'a scenario name is not a prefix')
  t.same(await traces('?surface=v2'), ['createTask 403', 'getTask 404', 'createTask 200'])
  t.same(await traces('?text=BLUE%20WHALE'), ['createTask 200'], 'in a request body, in any case')
  t.same(await traces('?text=checkout-service'), ['createTask 200'], 'in a header')
  t.same(await traces('?text=2001'), ['getTask 404'], 'in a response body')
  t.same(await traces('?text=needle'), ['unknown 404'], 'in the URL')
  t.same(await traces('?text=tsk_test…0002'), ['createTask 403'], 'the key, masked')
  t.same(await traces('?text=tsk_test_other'), [], 'never the key in full')
  t.same(await traces('', { 'x-tripo-mock-key-id': keyIdOf(OTHER_KEY) }), ['createTask 403'])
  const rule = (await call('GET', '/journal?code=2010')).json().entries[0].injectedBy as string
  t.same(await traces(`?injectedBy=${rule}`), ['createTask 403'], 'one rule')
  t.match((await call('GET', '/journal?surface=v9')).json(), { code: 9400 })
})
