/**
 * In process: `startTripoMock` listens on a free port of 127.0.0.1, answers over HTTP, and offers
 * the control plane as methods that act on its own emulator only; two started side by side never
 * see each other.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import { localUrl } from '../src/infra/listen-url.ts'
import { ApiError, ConfigError, startTripoMock, type TripoMock, type TripoMockOptions } from '../src/index.ts'

// Ahead of the wall clock, where a manual clock that starts at the wall time can be set.
const START = Date.UTC(2030, 0, 1)

async function started (t: Test, options: TripoMockOptions = {}): Promise<TripoMock> {
  const mock = await startTripoMock({ clockMode: 'manual', logger: false, ...options })
  t.teardown(() => mock.close())
  return mock
}

/** A plain HTTP client of the emulated API, as the code under test would be. */
function client (mock: TripoMock, key: string) {
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${mock.v2Url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } })
    return { status: response.status, body: await response.json() as { code: number, data?: Record<string, unknown> } }
  }
  return {
    balance: async () => (await call('/user/balance')).body,
    create: async (body: Record<string, unknown>) => (await call('/task', { method: 'POST', body: JSON.stringify(body) })).body,
    get: async (taskId: string) => (await call(`/task/${taskId}`)).body
  }
}

/** The refusal a call throws: an ApiError whose message says what was wrong. */
function refusal (t: Test, call: () => unknown, key: string, message: RegExp): void {
  try {
    call()
    t.fail(`expected a refusal matching ${String(message)}`)
  } catch (error) {
    t.ok(error instanceof ApiError, 'an ApiError')
    t.match(error, { key, message })
  }
}

t.test('listens on a free port of 127.0.0.1 with the in-process defaults, and closes once', async (t) => {
  const mock = await startTripoMock({ logger: false })
  t.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(mock.url, `http://127.0.0.1:${mock.port}`)
  t.equal(mock.apiUrl, `${mock.url}/v3`, 'the API URL is V3\'s, what the official SDKs take')
  t.equal(mock.v3Url, mock.apiUrl)
  t.equal(mock.v2Url, `${mock.url}/v2/openapi`)
  t.match(mock.config, { port: 0, host: '127.0.0.1', logLevel: 'warn', clockMode: 'real', startingCredits: 10000 })
  const response = await fetch(`${mock.apiUrl}/account/balance`, { headers: { authorization: 'Bearer tsk_in_process' } })
  t.equal(response.status, 200)
  t.match(response.headers.get('x-tripo-trace-id'), /^[0-9a-f-]{36}$/)
  t.same(await response.json(), { code: 0, status: 'success', data: { balance: 10000, frozen: 0 } })
  t.equal((await fetch(`${mock.v2Url}/user/balance`, { headers: { authorization: 'Bearer tsk_in_process' } })).status, 200, 'and V2 beside it')
  const ready = await fetch(`${mock.url}/__mock/ready`)
  t.equal(ready.status, 200)
  await mock.close()
  await t.resolves(mock.close(), 'closing again is harmless')
  await t.rejects(fetch(`${mock.apiUrl}/account/balance`), 'no longer listening')
})

t.test('two started in parallel are fully isolated: tasks, credits, clock, scenarios, journal', async (t) => {
  const [a, b] = await Promise.all([started(t), started(t)])
  t.not(a.port, b.port)
  const key = 'tsk_same_key_in_both'
  const inA = client(a, key)
  const inB = client(b, key)
  b.clock.set(START)
  a.clock.set(START + 60_000)

  const created = await inA.create({ type: 'text_to_model', prompt: 'a red car' })
  t.equal(created.code, 0)
  const taskId = String(created.data?.['task_id'])
  t.equal(a.tasks.list(key).tasks.length, 1)
  t.same(b.tasks.list(key), { tasks: [], next: null }, 'no task in the other')
  t.equal((await inB.get(taskId)).code, 2001, 'its id is unknown to the other')
  refusal(t, () => b.tasks.get(taskId), 'MOCK_NOT_FOUND', /no task/)

  a.credits.set(key, { balance: 5 })
  t.same(a.credits.get(key), { balance: 5, frozen: 20 })
  t.same(await inB.balance(), { code: 0, data: { balance: 10000, frozen: 0 } }, 'credits are per emulator')

  a.clock.advance('10m')
  t.equal(a.clock.now(), START + 660_000)
  t.equal(b.clock.now(), START, 'the other clock did not move')
  t.match((await inA.get(taskId)).data, { status: 'success' })

  a.scenarios.activate('error-2010')
  a.scenarios.add({ name: 'only-in-a', description: 'ad-hoc', rules: [{ effect: { error: 1001 } }] })
  t.equal((await inA.create({ type: 'text_to_model', prompt: 'x' })).code, 2010)
  t.equal((await inB.create({ type: 'text_to_model', prompt: 'x' })).code, 0, 'a global scenario of one is not active in the other')
  t.notOk(b.scenarios.list().some((scenario) => scenario.name === 'only-in-a'))
  t.notOk(b.scenarios.get('error-2010').activeGlobally)

  t.same(a.journal.count({ key }), { count: 3 })
  t.same(b.journal.count({ key }), { count: 3 }, 'each journal holds its own requests only')
  a.reset()
  t.same(a.tasks.list(key), { tasks: [], next: null })
  t.equal(b.tasks.list(key).tasks.length, 1, 'a reset of one leaves the other')
})

t.test('clock: read, advance, set, switch and speed; refusals say why', async (t) => {
  const mock = await started(t)
  t.same(mock.clock.set(START), { mode: 'manual', speed: 1, now: '2030-01-01T00:00:00.000Z', nowMs: START })
  t.equal(mock.clock.advance(1500).nowMs, START + 1500)
  t.equal(mock.clock.advance('1h30m').nowMs, START + 1500 + 5_400_000)
  t.equal(mock.clock.set('2030-01-02T00:00:00Z').now, '2030-01-02T00:00:00.000Z')
  t.equal(mock.clock.set(new Date(Date.UTC(2030, 0, 3))).now, '2030-01-03T00:00:00.000Z')
  t.equal(mock.clock.set(Date.UTC(2030, 0, 4)).now, '2030-01-04T00:00:00.000Z')
  t.match(mock.clock.setSpeed(10), { mode: 'manual', speed: 10 })
  const real = mock.clock.setMode('real')
  t.match(real, { mode: 'real', speed: 10 })
  t.ok(mock.clock.state().nowMs >= real.nowMs, 'time flows')
  t.match(mock.clock.setMode('manual'), { mode: 'manual' })

  const now = mock.clock.now()
  refusal(t, () => mock.clock.advance('5 minutes'), 'MOCK_BAD_REQUEST', /^The emulator could not accept this request: by: "5 minutes" is not a duration/)
  refusal(t, () => mock.clock.set('tomorrow'), 'MOCK_BAD_REQUEST', /to: "tomorrow" is not an instant/)
  refusal(t, () => mock.clock.set(START), 'MOCK_BAD_REQUEST', /cannot set the clock back/)
  refusal(t, () => mock.clock.setSpeed(0), 'MOCK_BAD_REQUEST', /speed must be a number above 0/)
  refusal(t, () => mock.clock.setMode('sundial' as 'real'), 'MOCK_BAD_REQUEST', /mode: "sundial" is not one of real, manual/)
  t.equal(mock.clock.now(), now, 'nothing moved')
})

t.test('tasks: list, get, force to the next state or to a final status', async (t) => {
  const mock = await started(t, { durations: { text_to_model: { queuedMs: 5000, runningMs: 20_000 } } })
  const key = 'tsk_tasks_in_process'
  const api = client(mock, key)
  const id = String((await api.create({ type: 'text_to_model', prompt: 'a chair' })).data?.['task_id'])
  const other = String((await api.create({ type: 'text_to_model', prompt: 'a table' })).data?.['task_id'])
  t.same(mock.tasks.list(key).tasks.map((task) => task.taskId), [id, other], 'oldest first')
  t.match(mock.tasks.get(id), { taskId: id, key: 'tsk_task…cess', type: 'text_to_model', status: 'queued', fate: { status: 'success' }, decidedBy: null, cost: 20 })
  t.same(mock.tasks.list('tsk_never_called'), { tasks: [], next: null })

  t.match(mock.tasks.force(id), { status: 'running', progress: 0 })
  t.match(mock.tasks.force(id), { status: 'success', progress: 100 })
  t.match((await api.get(id)).data, { status: 'success' }, 'the API sees it')
  t.match(mock.tasks.force(other, { status: 'banned', errorCode: 2008 }), { status: 'banned', fate: { status: 'banned', errorCode: 2008 } })
  t.match((await api.get(other)).data, { status: 'banned', error_code: 2008 })

  t.same(mock.tasks.find({ key, order: 'newest', limit: 1 }), { tasks: [mock.tasks.get(other)], next: other }, 'a page')
  const outputs = mock.tasks.outputs(id)
  t.match(outputs, { taskId: id, status: 'success' })
  const model = outputs.outputs.find((output) => output.format === 'glb')
  t.equal(model?.url, `${mock.url}${model?.path ?? ''}`)
  t.equal((await fetch(model?.url as string)).status, 200, 'the output downloads')
  refusal(t, () => mock.tasks.find({ limit: 5000 }), 'MOCK_BAD_REQUEST', /limit: 5000 is not a whole number from 1 to 1000/)
  refusal(t, () => mock.tasks.find({ status: 'done' as never }), 'MOCK_BAD_REQUEST', /status: "done" is not one of queued/)
  const behind = await started(t, { publicUrl: 'http://mock.example:9/' })
  const proxied = String((await client(behind, key).create({ type: 'text_to_model', prompt: 'a lamp' })).data?.['task_id'])
  behind.clock.advance('1h')
  t.match(behind.tasks.outputs(proxied).outputs[0], { url: /^http:\/\/mock\.example:9\/files\//, path: /^\/files\// }, 'signed under publicUrl')
  refusal(t, () => mock.tasks.force(id), 'MOCK_BAD_REQUEST', new RegExp(`task ${id} is already final \\(success\\)`))
  refusal(t, () => mock.tasks.get('nope'), 'MOCK_NOT_FOUND', /no task nope/)
  refusal(t, () => mock.tasks.force(id, { errorCode: 1 } as never), 'MOCK_BAD_REQUEST', /errorCode needs a status/)
  refusal(t, () => mock.tasks.force(id, { status: 'done' } as never), 'MOCK_BAD_REQUEST', /status: "done" is not one of success, failed/)
})

t.test('credits: read and set; refusals say why', async (t) => {
  const mock = await started(t, { apiKeys: ['tsk_allowed'], startingCredits: 300 })
  t.same(mock.credits.get('tsk_allowed'), { balance: 300, frozen: 0 })
  t.same(mock.credits.set('tsk_allowed', { balance: 7 }), { balance: 7, frozen: 0 })
  t.same(mock.credits.set('tsk_allowed', { frozen: 3 }), { balance: 7, frozen: 3 })
  t.same(await client(mock, 'tsk_allowed').balance(), { code: 0, data: { balance: 7, frozen: 3 } })
  refusal(t, () => mock.credits.get('tsk_refused'), 'MOCK_BAD_REQUEST', /does not accept this key/)
  refusal(t, () => mock.credits.set('tsk_allowed', { balance: -1 }), 'MOCK_BAD_REQUEST', /balance: -1 is not a whole number of credits/)
  refusal(t, () => mock.credits.set('tsk_allowed', { frozen: 1.5 }), 'MOCK_BAD_REQUEST', /frozen: 1.5 is not a whole number/)
  t.same(mock.credits.get('tsk_allowed'), { balance: 7, frozen: 3 }, 'unchanged')
})

t.test('scenarios: list, get, activate for a key or globally, ad-hoc, reload', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'tripo-in-process-'))
  t.teardown(() => { rmSync(folder, { recursive: true, force: true }) })
  const mock = await started(t, { scenariosDir: folder })
  const key = 'tsk_scenarios_in_process'
  const api = client(mock, key)
  const builtin = mock.scenarios.list().filter((scenario) => scenario.origin === 'builtin').length
  t.ok(builtin >= 41)
  t.match(mock.scenarios.get('task-fails-at-60'), { origin: 'builtin', rules: 1, definition: { rules: [{}] } })

  t.same(mock.scenarios.activate('error-2010', { key }), { name: 'error-2010', scope: 'key', active: true })
  t.same(mock.scenarios.get('error-2010').keys, ['tsk_scen…cess'])
  t.equal((await api.create({ type: 'text_to_model', prompt: 'x' })).code, 2010)
  t.equal((await client(mock, 'tsk_someone_else').create({ type: 'text_to_model', prompt: 'x' })).code, 0, 'only that key')
  t.same(mock.scenarios.deactivate('error-2010', { key }), { name: 'error-2010', scope: 'key', active: false })
  t.same(mock.scenarios.activate('error-1001'), { name: 'error-1001', scope: 'global', active: true })
  t.equal((await api.balance()).code, 1001)
  t.same(mock.scenarios.deactivate('error-1001'), { name: 'error-1001', scope: 'global', active: false })
  t.equal((await api.balance()).code, 0)
  refusal(t, () => mock.scenarios.activate('nope'), 'MOCK_NOT_FOUND', /unknown scenario "nope"/)
  refusal(t, () => mock.scenarios.get('nope'), 'MOCK_NOT_FOUND', /unknown scenario "nope"/)

  t.match(mock.scenarios.add({ name: 'checkout', description: 'demo', rules: [{ match: { operation: 'getBalance' }, times: 1, effect: { error: 'RATE_LIMITED', retryAfter: 3 } }] }), { name: 'checkout', origin: 'adhoc', rules: 1 })
  mock.scenarios.activate('checkout', { key })
  t.equal((await api.balance()).code, 1007)
  t.equal((await api.balance()).code, 0, 'times: 1')
  refusal(t, () => mock.scenarios.add({ name: 'broken', description: 'x', rules: [{ effect: { error: 'NOPE' } }] }), 'MOCK_BAD_REQUEST', /ad-hoc scenario "broken": rules\[0\]\.effect\.error: unknown error "NOPE"/)
  refusal(t, () => mock.scenarios.add({ description: 'x', rules: [] } as never), 'MOCK_BAD_REQUEST', /scenario: rules: must NOT have fewer than 1 items/)
  t.same(mock.scenarios.remove('checkout'), { removed: 'checkout' })
  refusal(t, () => mock.scenarios.get('checkout'), 'MOCK_NOT_FOUND', /unknown scenario/)
  refusal(t, () => mock.scenarios.remove('error-1000'), 'MOCK_BAD_REQUEST', /only ad-hoc scenarios can be removed/)

  writeFileSync(join(folder, 'mine.yaml'), 'description: mine\nrules:\n  - effect: { error: 1000 }\n')
  t.same(mock.scenarios.reload(), { loaded: builtin + 1 })
  t.match(mock.scenarios.get('mine'), { origin: 'file' })
  writeFileSync(join(folder, 'bad.yaml'), 'description: bad\nrules:\n  - effect: { error: 1 }\n')
  refusal(t, () => mock.scenarios.reload(), 'MOCK_BAD_REQUEST', /bad\.yaml: rules\[0\]\.effect\.error: unknown error 1/)
  t.match(mock.scenarios.get('mine'), { origin: 'file' }, 'the loaded set stays')
  rmSync(join(folder, 'bad.yaml'))
  mkdirSync(join(folder, 'folder.yaml'))
  refusal(t, () => mock.scenarios.reload(), 'MOCK_BAD_REQUEST', /folder\.yaml: cannot read: EISDIR/)
})

t.test('journal: entries, count, filters, clear', async (t) => {
  const mock = await started(t)
  mock.clock.set(START)
  const key = 'tsk_journal_in_process'
  await client(mock, key).balance()
  mock.clock.advance('1m')
  await client(mock, key).get('missing')
  await client(mock, 'tsk_journal_other_key').balance()
  t.match(mock.journal.entries({ key }), {
    entries: [
      { operation: 'getTask', status: 404, code: 2001, key: 'tsk_jour…cess', time: '2030-01-01T00:01:00.000Z' },
      { operation: 'getBalance', status: 200, code: 0, time: '2030-01-01T00:00:00.000Z' }
    ],
    capacity: 1000
  })
  t.equal(mock.journal.entries().entries.length, 3)
  t.equal(mock.journal.entries({ limit: 1 }).entries.length, 1)
  t.same(mock.journal.count({ key, operation: 'getTask' }), { count: 1 })
  t.same(mock.journal.count({ since: '2030-01-01T00:00:30Z' }), { count: 2 })
  t.same(mock.journal.count({ since: START + 30_000, status: 404 }), { count: 1 })
  t.same(mock.journal.count(), { count: 3 })
  refusal(t, () => mock.journal.count({ since: 'yesterday' }), 'MOCK_BAD_REQUEST', /since: "yesterday" is not an instant/)
  const [newest] = mock.journal.entries({ key, code: 2001 }).entries
  t.match(mock.journal.get(newest?.traceId as string), { url: '/v2/openapi/task/missing', request: { headers: { authorization: 'Bearer tsk_jour…cess' } } })
  t.same(mock.keys().keys.map((each) => each.key), ['tsk_jour…cess', 'tsk_jour…_key'])
  t.same(mock.scenarios.check({ name: 'x', description: 'y', rules: [] }), { valid: false, message: 'ad-hoc scenario "x": rules: must NOT have fewer than 1 items' })
  t.same(mock.journal.clear(key), { removed: 2 })
  t.same(mock.journal.count(), { count: 1 })
  t.same(mock.journal.clear(), { removed: 1 })
  t.same(mock.journal.entries(), { entries: [], capacity: 1000 })
})

t.test('every method answers exactly what its control-plane route answers', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'tripo-same-shape-'))
  t.teardown(() => { rmSync(folder, { recursive: true, force: true }) })
  writeFileSync(join(folder, 'mine.yaml'), 'rules:\n  - effect: { error: 1000 }\n')
  const mock = await started(t, { scenariosDir: folder })
  mock.clock.set(START)
  const key = 'tsk_same_shape_in_process'
  const http = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${mock.url}/__mock${path}`, {
      method,
      headers: { 'x-tripo-mock-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    t.ok(response.status < 300, `${method} ${path}: ${response.status}`)
    return await response.json() as unknown
  }
  const api = client(mock, key)
  // Two tasks alike but for their ids: one forced through each way.
  const [first, second] = [String((await api.create({ type: 'text_to_model', prompt: 'a' })).data?.['task_id'])]
    .concat(String((await api.create({ type: 'text_to_model', prompt: 'a' })).data?.['task_id']))
  const withoutId = (view: unknown) => ({ ...view as object, taskId: 'id' })
  await api.get('missing')

  // Reads: the same state, asked both ways.
  t.same(mock.clock.state(), await http('GET', '/clock'), 'clock.state')
  t.same(mock.tasks.list(key), await http('GET', '/tasks'), 'tasks.list')
  t.same(mock.tasks.find({ key, order: 'newest', limit: 1 }), await http('GET', '/tasks?order=newest&limit=1'), 'tasks.find')
  t.same(mock.tasks.get(first as string), await http('GET', `/tasks/${first as string}`), 'tasks.get')
  t.same(mock.tasks.outputs(first as string), await http('GET', `/tasks/${first as string}/outputs`), 'tasks.outputs')
  t.same(mock.keys(), await http('GET', '/keys'), 'keys')
  t.same(mock.credits.get(key), await http('GET', '/credits'), 'credits.get')
  t.same(mock.scenarios.list(), await http('GET', '/scenarios'), 'scenarios.list')
  t.same(mock.scenarios.get('mine'), await http('GET', '/scenarios/mine'), 'scenarios.get')
  t.same(mock.journal.entries({ key }), await http('GET', '/journal'), 'journal.entries')
  t.same(mock.journal.entries({ key, limit: 1 }), await http('GET', '/journal?limit=1'), 'journal.entries with a limit')
  t.same(mock.journal.count({ key, status: 404 }), await http('GET', '/journal/count?status=404'), 'journal.count')
  const traceId = mock.journal.entries({ key }).entries[0]?.traceId as string
  t.same(mock.journal.get(traceId), await http('GET', `/journal/${traceId}`), 'journal.get')

  // Changes: made once each way, from states that give the same answer.
  t.same(mock.clock.setMode('manual'), await http('PATCH', '/clock', { mode: 'manual' }), 'clock.setMode')
  t.same(mock.clock.setSpeed(3), await http('PATCH', '/clock', { speed: 3 }), 'clock.setSpeed')
  t.same(mock.clock.advance('0s'), await http('POST', '/clock/advance', { by: '0s' }), 'clock.advance')
  t.same(mock.clock.set(START + 1000), await http('POST', '/clock/set', { to: START + 1000 }), 'clock.set')
  t.same(withoutId(mock.tasks.force(first as string)), withoutId(await http('POST', `/tasks/${second as string}/force`)), 'tasks.force')
  t.same(mock.credits.set(key, { balance: 5 }), await http('PATCH', '/credits', { balance: 5 }), 'credits.set')
  t.same(mock.scenarios.activate('error-1000', { key }), await http('POST', '/scenarios/error-1000/activate'), 'scenarios.activate')
  t.same(mock.scenarios.deactivate('error-1000', { key }), await http('POST', '/scenarios/error-1000/deactivate'), 'scenarios.deactivate')
  const adhoc = { name: 'adhoc', rules: [{ effect: { error: 1001 } }] }
  t.same(mock.scenarios.check(adhoc), await http('POST', '/scenarios/validate', adhoc), 'scenarios.check')
  t.same(mock.scenarios.check({ ...adhoc, rules: [] }), await http('POST', '/scenarios/validate', { ...adhoc, rules: [] }), 'scenarios.check, refused')
  t.same(mock.scenarios.add(adhoc), await http('POST', '/scenarios', adhoc), 'scenarios.add')
  t.same(mock.scenarios.remove('adhoc'), (mock.scenarios.add(adhoc), await http('DELETE', '/scenarios/adhoc')), 'scenarios.remove')
  t.same(mock.scenarios.reload(), await http('POST', '/scenarios/reload'), 'scenarios.reload')
  mock.journal.clear(key)
  await api.balance()
  const cleared = mock.journal.clear(key)
  await api.balance()
  t.same(cleared, await http('DELETE', '/journal'), 'journal.clear')
  t.same(mock.reset(key), await http('POST', '/reset/tenant'), 'reset(key)')
  t.same(mock.reset(), await http('POST', '/reset'), 'reset()')
})

t.test('reset: one key, or everything', async (t) => {
  const mock = await started(t)
  const api = client(mock, 'tsk_reset_one')
  await api.create({ type: 'text_to_model', prompt: 'x' })
  await client(mock, 'tsk_reset_two').create({ type: 'text_to_model', prompt: 'y' })
  mock.scenarios.activate('error-1000', { key: 'tsk_reset_one' })
  const one = mock.reset('tsk_reset_one')
  t.match(one, { scope: 'tenant', key: 'tsk_rese…_one', participants: ['emulator', 'journal', 'retryAfter', 'scenarios', 'webhooks', 'metrics'] })
  t.same(mock.tasks.list('tsk_reset_one'), { tasks: [], next: null })
  t.equal((await api.balance()).code, 0, 'its scenario binding is gone')
  t.equal(mock.tasks.list('tsk_reset_two').tasks.length, 1, 'the other key stays')
  t.match(mock.reset(), { scope: 'all', participants: ['emulator', 'journal', 'retryAfter', 'scenarios', 'webhooks', 'metrics'] })
  t.same(mock.tasks.list('tsk_reset_two'), { tasks: [], next: null })
})

t.test('options: any setting; a bad one is a ConfigError naming it; logs go where told', async (t) => {
  await t.rejects(startTripoMock({ startingCredits: -1 }), new ConfigError('invalid setting startingCredits (option): must be >= 0'))
  await t.rejects(startTripoMock({ clockMode: 'sundial' as 'real' }), /^invalid setting clockMode \(option\): must be one of real, manual$/)
  await t.rejects(startTripoMock({ portt: 1 } as TripoMockOptions), /^unknown setting "portt" \(option\): did you mean "port"\?$/)
  await t.rejects(startTripoMock({ durations: { text_to_model: { queuedMs: -1 } } }), /^invalid setting durations\.text_to_model\.queuedMs \(option\): must be >= 0$/)

  let logged = ''
  const stream = new Writable({ write (chunk, _encoding, done) { logged += String(chunk); done() } })
  const mock = await started(t, { logger: { stream, level: 'info' }, controlToken: 'secret' })
  const refused = await fetch(`${mock.url}/__mock/clock`)
  t.equal(refused.status, 401, 'settings apply (the control token)')
  t.match(logged, /"msg":"answered 9401"/, 'logs at the level given, to the stream given')

  const quiet = await started(t, { logger: { stream } })
  const before = logged.length
  await fetch(`${quiet.apiUrl}/nope`)
  t.equal(logged.length, before, 'a logger without a level takes logLevel (warn)')
})

t.test('a port in use: the start is refused, and nothing is left listening', async (t) => {
  const blocker = createServer().listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  t.teardown(() => { blocker.close() })
  const { port } = blocker.address() as { port: number }
  await t.rejects(startTripoMock({ port, logger: false }), { code: 'EADDRINUSE' })
})

t.test('the URL a local client calls for a listening host', async (t) => {
  t.equal(localUrl('0.0.0.0', 80), 'http://127.0.0.1:80')
  t.equal(localUrl('::', 80), 'http://127.0.0.1:80')
  t.equal(localUrl('::1', 80), 'http://[::1]:80')
  t.equal(localUrl('localhost', 80), 'http://localhost:80')
})

t.test('listening on every address, it gives a loopback URL that answers', async (t) => {
  const mock = await started(t, { host: '0.0.0.0' })
  t.equal(mock.url, `http://127.0.0.1:${mock.port}`)
  t.equal((await fetch(`${mock.url}/__mock/health`)).status, 200)
})
