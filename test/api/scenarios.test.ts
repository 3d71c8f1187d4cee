/**
 * The scenario engine through HTTP: the 27 documented errors on demand, fates walked to their
 * seed-shaped payloads, each selection path and its precedence, latency, connection faults seen
 * from a real socket, times/sequence, reload, and visibility in the logs.
 */
import { request as httpRequest } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { ERROR_CATALOGUE } from '../../src/domain/errors.ts'
import type { Operation } from '../../src/domain/operations.ts'
import { compileScenario } from '../../src/domain/scenarios/compile.ts'
import { bearer, harness, type Harness, KEY } from '../fixtures/harness.ts'
import { openWatch } from '../fixtures/watch-client.ts'

const SCENARIO = 'x-tripo-mock-scenario'
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const PNG_1PX = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6300010000050001' + '0d0a2db40000000049454e44ae426082', 'hex')

function multipart (field: string, filename: string, content: Buffer) {
  const boundary = '----tripo-mock-test'
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** One way to call each operation, with extra headers. */
const CALLS: Partial<Record<Operation, { method: string, url: string, call: (h: Harness, headers: Record<string, string>) => Promise<LightMyRequestResponse> }>> = {
  createTask: { method: 'POST', url: '/v2/openapi/task', call: (h, headers) => h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), ...headers }, payload: { type: 'text_to_model', prompt: 'a cat' } }) },
  getTask: { method: 'GET', url: '/v2/openapi/task/x', call: async (h, headers) => h.app.inject({ url: `/v2/openapi/task/${await h.newTask({ type: 'text_to_image', prompt: 'a' })}`, headers: { ...bearer(), ...headers } }) },
  getBalance: { method: 'GET', url: '/v2/openapi/user/balance', call: (h, headers) => h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), ...headers } }) },
  upload: {
    method: 'POST',
    url: '/v2/openapi/upload',
    call: (h, headers) => {
      const form = multipart('file', 'cat.png', PNG_1PX)
      return h.app.inject({ method: 'POST', url: '/v2/openapi/upload', headers: { ...bearer(), ...form.headers, ...headers }, payload: form.payload })
    }
  },
  stsToken: { method: 'POST', url: '/v2/openapi/upload/sts/token', call: (h, headers) => h.app.inject({ method: 'POST', url: '/v2/openapi/upload/sts/token', headers: { ...bearer(), ...headers }, payload: { format: 'png' } }) }
}

t.test('conformance: each documented error on demand, through its built-in scenario', async (t) => {
  const h = await harness(t, { scenarioRetryAfter: 4 })
  const seed = Object.values(ERROR_CATALOGUE).filter((entry) => entry.source === 'seed')
  const traceIds = new Set<string>()
  for (const entry of seed) {
    const scenario = h.services.scenarios.get(`error-${entry.code}`)
    t.ok(scenario, `error-${entry.code} exists`)
    const operations = [...scenario?.rules[0]?.match.operations ?? []]
    const exercised = operations.filter((operation) => {
      const call = CALLS[operation]
      return call !== undefined && h.app.hasRoute({ method: call.method as 'GET', url: call.url.replace('/x', '/:task_id') })
    })
    t.ok(exercised.length > 0, `error-${entry.code} is exercised on an operation`)
    for (const operation of exercised) {
      const response = await CALLS[operation]?.call(h, { [SCENARIO]: `error-${entry.code}` })
      t.equal(response?.statusCode, entry.status, `${entry.code} on ${operation}: status`)
      t.same(response?.json(), { code: entry.code, message: entry.message, suggestion: entry.suggestion }, `${entry.code} on ${operation}: body`)
      t.equal(response?.headers['retry-after'], entry.status === 429 ? '4' : undefined, `${entry.code} on ${operation}: Retry-After`)
      const traceId = String(response?.headers['x-tripo-trace-id'])
      t.match(traceId, UUID_V4)
      t.notOk(traceIds.has(traceId), 'a fresh trace id')
      traceIds.add(traceId)
    }
  }
})

t.test('a failed fate walks through its lifecycle to the seed-shaped payload', async (t) => {
  const h = await harness(t)
  const created = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), [SCENARIO]: 'task-fails-at-60' }, payload: { type: 'text_to_model', prompt: 'A dachshund standing on a stool.' } })
  const id = created.json().data.task_id as string
  const read = async () => (await h.getTask(id)).json().data
  t.equal((await read()).status, 'queued')
  h.clock.advance(2000)
  const progress: number[] = []
  for (let i = 0; i < 12; i++) {
    const task = await read()
    if (task.status !== 'running') break
    progress.push(task.progress)
    h.clock.advance(500)
  }
  t.equal(Math.max(...progress), 55, 'it gets to 60% and no further')
  const failed = await read()
  t.same(Object.keys(failed), ['task_id', 'type', 'status', 'input', 'output', 'progress', 'create_time', 'error_code', 'prompt', 'queuing_num', 'running_left_time', 'consumed_credit', 'result'])
  t.match(failed, {
    task_id: id,
    type: 'text_to_model',
    status: 'failed',
    input: { prompt: 'A dachshund standing on a stool.', model_version: 'v2.5-20250123' },
    output: {},
    progress: 100,
    error_code: 1001,
    prompt: 'A dachshund standing on a stool.',
    queuing_num: -1,
    running_left_time: -1,
    consumed_credit: 0,
    result: {}
  })
  t.same(await h.balance(), { balance: 10000, frozen: 0 }, 'refunded')
})

t.test('one scenario per non-success final status', async (t) => {
  const h = await harness(t)
  for (const status of ['failed', 'banned', 'expired', 'cancelled', 'unknown']) {
    const created = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), [SCENARIO]: `task-${status}` }, payload: { type: 'text_to_image', prompt: 'a' } })
    const id = created.json().data.task_id as string
    h.clock.advance(60_000)
    const task = (await h.getTask(id)).json().data
    t.equal(task.status, status)
    t.same(task.output, {})
  }
})

t.test('the prompt directive selects a scenario and is stripped from the echo', async (t) => {
  const h = await harness(t)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a red cat [[mock: task-banned ]] on a mat' })
  const task = (await h.getTask(id)).json().data
  t.equal(task.input.prompt, 'a red cat on a mat')
  t.equal(task.prompt, 'a red cat on a mat')
  h.clock.advance(60_000)
  t.equal((await h.getTask(id)).json().data.status, 'banned')
  const fired = await h.logLine((line) => line['msg'] === 'scenario rule fired')
  t.match(fired, { scenario: 'task-banned', rule: 'task-banned/banned', selectedBy: 'prompt' })
  t.match(fired['traceId'], UUID_V4, 'logged with the trace id')
  const unknown = await h.createTask({ type: 'text_to_model', prompt: 'x [[mock:nope]]' })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { code: 9400, detail: 'unknown scenario "nope" in the prompt directive; see GET /__mock/scenarios' })
})

t.test('a key naming its scenario, keys bound by configuration, the global set, and precedence', async (t) => {
  const h = await harness(t, { scenarios: ['error-1001'], scenarioKeys: { tsk_bound_key: ['error-2010'] } })
  const status = async (key: string, headers: Record<string, string> = {}, url = '/v2/openapi/task') => (await h.app.inject({ method: 'POST', url, headers: { ...bearer(key), ...headers }, payload: { type: 'text_to_image', prompt: 'a' } })).json().code
  t.equal(await status('tsk_anyone'), 1001, 'global')
  t.equal(await status('tsk_bound_key'), 2010, 'bound by configuration, over global')
  t.equal(await status('tsk_mock_error-2013_run-1'), 2013, 'named by the key')
  t.equal(await status('tsk_mock_error-2013_run-1', { [SCENARIO]: 'error-2014' }), 2014, 'the header wins')
  t.equal(await status('tsk_mock_error-2013'), 2013)
  const unknown = await h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), [SCENARIO]: 'error-1001, nope' } })
  t.equal(unknown.statusCode, 400)
  t.same(unknown.json(), { code: 9400, message: 'The emulator could not accept this request', suggestion: 'See the tripo-mock README', detail: 'unknown scenario "nope" in X-Tripo-Mock-Scenario; see GET /__mock/scenarios' })
  t.equal((await h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), [SCENARIO]: '' } })).json().code, 1001, 'an empty header names nothing')
})

t.test('an unknown scenario in the configuration stops the start', async (t) => {
  await t.rejects(harness(t, { scenarios: ['nope'] }), /^invalid setting scenarios \(option\): unknown scenario "nope"; the scenarios are the built-in ones$/)
})

t.test('times: rate-limited then OK, with a Retry-After', async (t) => {
  const h = await harness(t)
  const key = 'tsk_mock_rate-limited-then-ok_1'
  const create = () => h.createTask({ type: 'text_to_image', prompt: 'a' }, key)
  for (let i = 0; i < 2; i++) {
    const refused = await create()
    t.equal(refused.statusCode, 429)
    t.equal(refused.headers['retry-after'], '2')
  }
  t.equal((await create()).statusCode, 200)
  t.equal((await create()).statusCode, 200)
  t.equal((await h.createTask({ type: 'text_to_image', prompt: 'a' }, 'tsk_mock_rate-limited-then-ok_2')).statusCode, 429, 'another key starts its own count')
})

t.test('latency follows the emulator clock: a manual clock holds the answer until advanced', async (t) => {
  const h = await harness(t)
  h.services.scenarios.addAdhoc(compileScenario({ description: 'slow', rules: [{ effect: { latency: { fixed: '2s' } } }] }, { name: 'slow', origin: 'adhoc' }))
  let answered = false
  const pending = h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), [SCENARIO]: 'slow' } }).then((response) => {
    answered = true
    return response
  })
  await h.logLine((line) => line['msg'] === 'scenario rule fired')
  h.clock.advance(1999)
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(answered, 'not before 2 s of emulator time')
  h.clock.advance(1)
  t.equal((await pending).statusCode, 200)
})

/** A request on a real socket: status, headers, the bytes that arrived, and how it ended. */
function rawGet (base: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status?: number, headers: Record<string, unknown>, body: Buffer, ended: 'complete' | 'aborted' | 'reset' | 'closed' }>((resolve) => {
    const chunks: Buffer[] = []
    const result: { status?: number, headers: Record<string, unknown> } = { headers: {} }
    const request = httpRequest(`${base}${path}`, { headers }, (response) => {
      result.status = response.statusCode
      result.headers = response.headers
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ ...result, body: Buffer.concat(chunks), ended: 'complete' }))
      response.on('aborted', () => resolve({ ...result, body: Buffer.concat(chunks), ended: 'aborted' }))
      response.on('error', () => resolve({ ...result, body: Buffer.concat(chunks), ended: 'aborted' }))
    })
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ ...result, body: Buffer.concat(chunks), ended: error.code === 'ECONNRESET' ? 'reset' : 'closed' }))
    request.end()
  })
}

t.test('connection faults, seen from a real socket', async (t) => {
  const h = await harness(t)
  const adhoc = (name: string, fault: unknown) => h.services.scenarios.addAdhoc(compileScenario({ description: name, rules: [{ effect: { fault } }] }, { name, origin: 'adhoc' }))
  adhoc('reset', 'reset')
  adhoc('hang', 'hang')
  adhoc('malformed', 'malformed-json')
  adhoc('cut', { type: 'truncate', bytes: 10 })
  adhoc('slow-body', { type: 'dribble', chunks: 4, duration: '2s' })
  const base = await h.listen()
  const get = (scenario: string) => rawGet(base, '/v2/openapi/user/balance', { ...bearer(), [SCENARIO]: scenario })
  const normal = await get('')
  t.equal(normal.ended, 'complete')

  t.equal((await get('reset')).ended, 'reset', 'reset: the client sees ECONNRESET')

  const malformed = await get('malformed')
  t.equal(malformed.ended, 'complete')
  t.equal(malformed.status, 200)
  t.throws(() => JSON.parse(String(malformed.body)), SyntaxError, 'malformed-json: the body does not parse')

  const cut = await get('cut')
  t.equal(cut.headers['content-length'], String(normal.body.length), 'truncate: the full length is announced')
  t.equal(cut.body.length, 10, 'only 10 bytes arrive')
  t.not(cut.ended, 'complete')

  const dribbled = get('slow-body')
  await h.logLine((line) => line['msg'] === 'scenario rule fired' && line['rule'] === 'slow-body/0')
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    h.clock.advance(500)
  }
  const slow = await dribbled
  t.equal(slow.ended, 'complete')
  t.same(JSON.parse(String(slow.body)), JSON.parse(String(normal.body)), 'dribble: the whole body, in pieces')

  const hung = get('hang')
  await h.logLine((line) => line['msg'] === 'scenario rule fired' && line['rule'] === 'hang/0')
  await h.app.close()
  const hangOutcome = await hung
  t.equal(hangOutcome.status, undefined, 'hang: never an answer')
  t.not(hangOutcome.ended, 'complete', 'the socket is closed with the app')
})

t.test('a fate decides how its outputs are delivered: output-url-expired', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a' }, 'tsk_mock_output-url-expired')
  const task = (await h.getTask(id, 'tsk_mock_output-url-expired')).json().data
  const expires = Number(new URL(task.output.pbr_model).searchParams.get('Expires'))
  t.ok(expires < h.clock.now() / 1000, 'its URLs are already expired when handed out')
})

t.test('reload: a changed folder is picked up; a bad file changes nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tripo-reload-'))
  writeFileSync(join(dir, 'mine.yaml'), 'description: mine\nrules:\n  - effect: { error: 2014 }\n')
  const h = await harness(t, { scenariosDir: dir })
  const code = async () => (await h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), [SCENARIO]: 'mine' } })).json().code
  t.equal(await code(), 2014)
  writeFileSync(join(dir, 'mine.yaml'), 'description: mine\nrules:\n  - effect: { error: 2018 }\n')
  h.services.reloadScenarios()
  t.equal(await code(), 2018)
  writeFileSync(join(dir, 'mine.yaml'), 'description: mine\nrules:\n  - effect: { error: 99 }\n')
  t.throws(() => h.services.reloadScenarios(), /mine\.yaml: rules\[0\]\.effect\.error: unknown error 99/)
  t.equal(await code(), 2018, 'the loaded set stays')
})

t.test('every fired rule is logged with its scenario and the trace id', async (t) => {
  const h = await harness(t)
  const response = await h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(KEY), [SCENARIO]: 'error-1000' } })
  const traceId = response.headers['x-tripo-trace-id']
  const fired = await h.logLine((line) => line['msg'] === 'scenario rule fired')
  t.match(fired, { traceId, scenario: 'error-1000', rule: 'error-1000/error-1000', selectedBy: 'header' })
  const answered = await h.logLine((line) => line['msg'] === 'answered 1000')
  t.match(answered, { traceId, injectedBy: 'error-1000/error-1000' })
})

t.test('watch sockets: a fate shows in the frames, and a drop rule cuts the socket mid-watch', async (t) => {
  const h = await harness(t, { durations: { text_to_image: { queuedMs: 1000, runningMs: 4000 } } })
  const base = (await h.listen()).replace('http://', 'ws://') + '/v2/openapi'
  const created = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), [SCENARIO]: 'task-fails-at-60' }, payload: { type: 'text_to_image', prompt: 'a' } })
  const id = created.json().data.task_id as string
  const watch = await openWatch(`${base}/task/watch/${id}`)
  h.clock.advance(1000 + 2400)
  const last = await watch.until((frame) => frame.event === 'finalized')
  t.match(last.data, { status: 'failed', error_code: 1001, progress: 100 })
  t.equal((await watch.closed).code, 1000)

  h.services.scenarios.addAdhoc(compileScenario({ description: 'drop', rules: [{ match: { operation: 'watchTask' }, effect: { fault: { type: 'drop', after: '2s' } } }] }, { name: 'drop-watch', origin: 'adhoc' }))
  const other = await h.newTask({ type: 'text_to_image', prompt: 'b' })
  const dropped = await openWatch(`${base}/task/watch/${other}`, { ...bearer(), [SCENARIO]: 'drop-watch' })
  await dropped.frame(1)
  h.clock.advance(1000)
  await dropped.frame(2)
  h.clock.advance(1000)
  t.equal((await dropped.closed).code, 1006, 'dropped without a close frame, 2 s into the watch')
  t.equal(dropped.frames.length, 2)
})

t.test('downloads keep to their task\'s fate: cut short, expired, or refused', async (t) => {
  const h = await harness(t)
  const base = await h.listen()
  const outputOf = async (key: string, body: Record<string, unknown> = { type: 'text_to_model', prompt: 'a' }) => {
    const id = await h.finishedTask(body, key)
    return (await h.getTask(id, key)).json().data.output as Record<string, string>
  }
  const pathOf = (url: string) => url.replace(/^http:\/\/[^/]+/, '')

  const broken = await outputOf('tsk_mock_broken-downloads')
  const whole = h.services.fixtures.get('textured.glb')?.bytes as Buffer
  for (let i = 0; i < 2; i++) {
    const cut = await rawGet(base, pathOf(broken['pbr_model'] as string), {})
    t.equal(cut.status, 200)
    t.equal(cut.headers['content-length'], String(whole.length), 'the whole length is announced')
    t.equal(cut.body.length, 1024, 'every download is cut after 1 KiB')
    t.not(cut.ended, 'complete')
  }
  const fine = await outputOf('tsk_plain_downloader')
  t.equal((await rawGet(base, pathOf(fine['pbr_model'] as string), {})).body.length, whole.length, 'other tasks download whole')

  const expired = await outputOf('tsk_mock_output-url-expired')
  const refused = await rawGet(base, pathOf(expired['pbr_model'] as string), {})
  t.equal(refused.status, 403)
  t.match(String(refused.body), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/)

  h.services.scenarios.addAdhoc(compileScenario({
    description: 'cdn down',
    rules: [{ match: { operation: 'createTask' }, effect: { fate: { status: 'success', downloads: { error: 'FATAL_ERROR', latency: { fixed: '1s' } } } } }]
  }, { name: 'cdn-down', origin: 'adhoc' }))
  const down = await outputOf('tsk_mock_cdn-down')
  const pending = rawGet(base, pathOf(down['rendered_image'] as string), {})
  const downId = pathOf(down['rendered_image'] as string).split('/')[2]
  await h.logLine((line) => line['msg'] === 'download follows its task\'s scenario fate' && line['taskId'] === downId)
  h.clock.advance(1000)
  const failed = await pending
  t.equal(failed.status, 500)
  t.same(JSON.parse(String(failed.body)), { code: 1001, message: 'Fatal error on server side', suggestion: 'Please contact the support with request id' })
})

t.test('download rules: a seeded flaky CDN replays the same cuts under the same seed', async (t) => {
  const run = async () => {
    const h = await harness(t, { seed: 42 })
    const base = await h.listen()
    const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a' })
    const url = ((await h.getTask(id)).json().data.output.base_model as string).replace(/^http:\/\/[^/]+/, '')
    const outcomes: string[] = []
    // The header selects the scenario for downloads (its API calls would wait on the manual clock's jitter).
    for (let i = 0; i < 20; i++) outcomes.push((await rawGet(base, url, { [SCENARIO]: 'flaky-network' })).ended)
    await h.app.close()
    return outcomes.join(',')
  }
  const first = await run()
  t.equal(await run(), first, 'same seed, same faults')
  t.match(first, /complete/)
  t.match(first, /aborted|closed|reset/, 'some downloads are cut')
})

t.test('through inject (no socket): a reset ends the request in an error, a hang is released when the app closes', async (t) => {
  const h = await harness(t)
  const adhoc = (name: string, fault: string) => h.services.scenarios.addAdhoc(compileScenario({ description: name, rules: [{ effect: { fault } }] }, { name, origin: 'adhoc' }))
  adhoc('reset', 'reset')
  adhoc('hang', 'hang')
  await t.rejects(h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), [SCENARIO]: 'reset' } }), { code: 'LIGHT_ECONNRESET' })
  const hung = h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), [SCENARIO]: 'hang' } })
  await h.logLine((line) => line['msg'] === 'scenario rule fired' && line['rule'] === 'hang/0')
  await h.app.close()
  await t.rejects(hung, { code: 'LIGHT_ECONNRESET' })
})

t.test('the scenario header may be repeated', async (t) => {
  const h = await harness(t)
  const response = await h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...bearer(), [SCENARIO]: ['error-1001', 'error-1000'] } })
  t.equal(response.json().code, 1001, 'the first named scenario whose rule fires wins')
})
