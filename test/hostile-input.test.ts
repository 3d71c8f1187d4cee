/**
 * Hostile input (issue 17): one test per way a hostile client, or a client's mistake, could freeze,
 * break or grow a shared emulator, through HTTP (inject, or a real socket of 127.0.0.1). The drain
 * after hostile traffic is in test/infra/drain.test.ts; the seeded fuzz over every route in
 * test/fuzz.test.ts.
 */
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { LATEST_INSTANT } from '../src/domain/clock.ts'
import { compileScenario } from '../src/domain/scenarios/compile.ts'
import { MAX_KEY_LENGTH } from '../src/domain/tenants.ts'
import { loadConfig } from '../src/infra/config.ts'
import { control } from './fixtures/control.ts'
import { bearer, harness, type Harness, KEY, OTHER_KEY, START } from './fixtures/harness.ts'
import { exchange, type HostileRequest } from './fixtures/hostile-requests.ts'

const SCENARIO = 'x-tripo-mock-scenario'
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const local = (url: string) => url.replace(/^https?:\/\/[^/]+/, '')

/** Sends raw bytes to a listening harness and reads the answer (test/fixtures/hostile-requests.ts). */
async function raw (h: Harness, method: string, target: string, headers: Array<[string, string]>, body = ''): Promise<Awaited<ReturnType<typeof exchange>>> {
  const port = Number(new URL(await listening(h)).port)
  const host: Array<[string, string]> = headers.some(([name]) => name === 'Host') ? [] : [['Host', `127.0.0.1:${port}`]]
  const request: HostileRequest = { method, target, headers: [...host, ...headers], body: Buffer.from(body) }
  return exchange(port, request)
}

const listened = new WeakMap<Harness, Promise<string>>()
function listening (h: Harness): Promise<string> {
  let url = listened.get(h)
  if (url === undefined) {
    url = h.listen()
    listened.set(h, url)
  }
  return url
}

function expectEnvelope (t: Test, answer: { status: number, headers: Record<string, string>, body: Buffer }, status: number, code: number): void {
  t.equal(answer.status, status, String(answer.body))
  t.match(answer.headers['x-tripo-trace-id'], UUID_V4, 'a trace id')
  t.match(answer.headers['content-type'], /^application\/json/)
  t.match(JSON.parse(String(answer.body)), { code, message: String, suggestion: String })
}

t.test('1. the clock has a range: a value past it is refused with 400/9400 and changes nothing', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  for (const body of [{ by: 8_640_000_000_000_000 }, { by: 1e308 }, { by: '99999999999h' }]) {
    const refused = await call('POST', '/clock/advance', { body })
    t.equal(refused.statusCode, 400, JSON.stringify(body))
    t.match(refused.json(), { code: 9400, detail: /would take the clock past 9999-12-31T23:59:59\.999Z, the end of its range; it is 2026-01-01T00:00:00\.000Z/ })
  }
  for (const to of [8_640_000_000_000_000, LATEST_INSTANT + 1, '+275760-09-13T00:00:00Z']) {
    t.equal((await call('POST', '/clock/set', { body: { to } })).statusCode, 400, `set to ${to}`)
  }
  t.equal(h.clock.now(), START, 'nothing moved')

  // To the end of the range: everything still renders.
  t.equal((await call('POST', '/clock/set', { body: { to: '9999-12-31T23:59:59.999Z' } })).json().nowMs, LATEST_INSTANT)
  t.equal((await call('POST', '/clock/advance', { body: { by: 1 } })).statusCode, 400, 'not a millisecond further')
  t.equal((await call('GET', '/clock')).json().now, '9999-12-31T23:59:59.999Z')
  t.equal((await h.getTask(id)).json().data.status, 'success', 'task reads')
  t.equal((await call('GET', '/journal')).statusCode, 200, 'journal reads')
  t.equal((await call('GET', `/tasks/${id}`)).statusCode, 200, 'task views')
  t.equal((await h.app.inject({ method: 'POST', url: '/v2/openapi/upload/sts/token', headers: bearer(), payload: { format: 'glb' } })).statusCode, 200, 'STS tokens')
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'at the end of time' })).statusCode, 200, 'task creation')
  t.same(await h.balance(), { balance: 10000 - 40, frozen: 20 }, 'balance reads')
})

t.test('2. no regex can freeze the server: /regex/ matchers run on RE2, in files and ad-hoc alike', async (t) => {
  const h = await harness(t)
  const call = control(h)
  // With backtracking, each of these took from seconds to hours (a 51-character header: 96 s).
  // Should that come back, this test times out instead of answering.
  const added = await call('POST', '/scenarios', {
    body: {
      name: 'catastrophic',
      description: 'patterns that backtrack catastrophically in a backtracking engine',
      rules: [
        { match: { prompt: '/^(a+)+$/' }, effect: { error: 2008 } },
        { match: { header: { 'x-suite': '/^(\\w+\\s?)*$/' } }, effect: { error: 1005 } }
      ]
    }
  })
  t.equal(added.statusCode, 201, added.body)
  const headers = { ...bearer(), [SCENARIO]: 'catastrophic' }
  const prompt = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers, payload: { type: 'text_to_model', prompt: `${'a'.repeat(5000)}!` } })
  t.equal(prompt.json().code, 1004, 'the prompt rule did not match (the prompt is over 1024 characters): answered at once')
  const header = await h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...headers, 'x-suite': `${'ab '.repeat(3000)}!` } })
  t.equal(header.json().code, 0, 'the header rule did not match: answered at once')
  const matching = await h.app.inject({ url: '/v2/openapi/user/balance', headers: { ...headers, 'x-suite': 'smoke test run' } })
  t.equal(matching.json().code, 1005, 'and it matches what it should')

  const refusal = async (pattern: string) => (await call('POST', '/scenarios', { body: { name: 'bad', description: 'x', rules: [{ match: { prompt: pattern }, effect: { pass: true } }] } })).json()
  t.match(await refusal('/(?=a)b/'), { code: 9400, detail: 'ad-hoc scenario "bad": rules[0].match.prompt: error parsing regexp: invalid or unsupported Perl syntax: `(?=` (patterns use RE2\'s syntax: no lookaround, no backreferences)' })
  t.match(await refusal('/(a)\\1/'), { detail: /rules\[0\]\.match\.prompt: error parsing regexp: invalid escape sequence: `\\1`/ })
  t.match(await refusal('/a/g'), { detail: 'ad-hoc scenario "bad": rules[0].match.prompt: flag "g" is not supported (i, m, s, u)' })

  const dir = mkdtempSync(join(tmpdir(), 'tripo-regex-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'lookbehind.yaml'), 'description: x\nrules:\n  - match: { header: { x-a: "/(?<=a)b/" } }\n    effect: { pass: true }\n')
  await t.rejects(harness(t, { scenariosDir: dir }), /^lookbehind\.yaml: rules\[0\]\.match\.header\.x-a: error parsing regexp: invalid named capture/, 'a file: refused at start, naming file, rule and field')
})

t.test('2. a prompt directive is found in linear time, whatever the prompt', async (t) => {
  const h = await harness(t)
  // 200,000 spaces took the old directive search (a leading \s*) about 50 s.
  const spaces = await h.createTask({ type: 'text_to_model', prompt: `${' '.repeat(200_000)}x` })
  t.equal(spaces.json().code, 1004, 'too long a prompt, refused at once')
  const directives = await h.createTask({ type: 'text_to_model', prompt: '[[mock:'.repeat(30_000) })
  t.equal(directives.json().code, 1004)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a red cat  [[MOCK: task-banned ]]   on a mat' })
  const task = (await h.getTask(id)).json().data
  t.equal(task.input.prompt, 'a red cat on a mat', 'the directive still works, and is stripped')
})

t.test('3. client mistakes are 4xx, never 500/1000', async (t) => {
  const h = await harness(t)
  for (const path of ['/v2/openapi/user/balance', '/__mock/clock', '/nowhere']) {
    const query = await raw(h, 'QUERY', path, [['Authorization', `Bearer ${KEY}`], ['Connection', 'close']])
    expectEnvelope(t, query, 404, path.startsWith('/__mock') ? 9410 : 9404)
  }
  const docs = await h.app.inject({ url: '/docs//.//.//dist/server.js' })
  t.equal(docs.statusCode, 404, 'an odd path under /docs')
  t.equal(docs.json().code, 9404)

  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  const forced = await h.app.inject({ method: 'POST', url: `/__mock/tasks/${id}/force`, headers: { 'content-type': 'application/json' }, payload: 'null' })
  t.equal(forced.statusCode, 200, 'a JSON null is no body: the next state')
  t.equal(forced.json().status, 'running')
  const credits = await h.app.inject({ method: 'PATCH', url: '/__mock/credits', headers: { 'content-type': 'application/json', 'x-tripo-mock-key': KEY }, payload: 'null' })
  t.match(credits.json(), { code: 9400, detail: 'body: body must NOT have fewer than 1 properties' }, 'a route that needs a field says so')

  for (const host of ['a b', '[::1', '%zz', 'a:99999', '@']) {
    const body = '{"format":"glb"}'
    const answer = await raw(h, 'POST', '/v2/openapi/upload/sts/token', [['Host', host], ['Authorization', `Bearer ${KEY}`], ['Content-Type', 'application/json'], ['Content-Length', String(body.length)], ['Connection', 'close']], body)
    expectEnvelope(t, answer, 400, 1003)
  }
  t.notOk(h.logs.some((line) => (line['level'] as number) >= 50), 'nothing logged as an unexpected error')
})

t.test('3. a request its client aborts mid-body is logged as the client\'s, not as an unexpected error', async (t) => {
  const h = await harness(t)
  const port = Number(new URL(await listening(h)).port)
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write(`POST /v2/openapi/task HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":`)
  await h.logLine((line) => line['msg'] === 'incoming request')
  socket.destroy()
  const answered = await h.logLine((line) => line['msg'] === 'answered 1003')
  t.equal(answered['level'], 30, 'info')
  t.equal(answered['detail'], 'aborted')
  const control = connect(port, '127.0.0.1')
  control.on('error', () => {})
  control.write('POST /__mock/scenarios HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":')
  await h.logLine((line) => line['msg'] === 'incoming request' && (line['req'] as { url: string }).url === '/__mock/scenarios')
  control.destroy()
  t.equal((await h.logLine((line) => line['msg'] === 'answered 9400'))['detail'], 'aborted', 'on the control plane too')
  t.notOk(h.logs.some((line) => (line['level'] as number) >= 50), 'no error-level line')
})

t.test('4. every answer is the emulator\'s: a refused WebSocket handshake, a CONNECT', async (t) => {
  const h = await harness(t)
  const upgrade: Array<[string, string]> = [['Authorization', `Bearer ${KEY}`], ['Connection', 'Upgrade'], ['Upgrade', 'websocket']]
  const noKey = await raw(h, 'GET', '/v2/openapi/task/watch/all', [...upgrade, ['Sec-WebSocket-Version', '13']])
  expectEnvelope(t, noKey, 400, 1004)
  const traceId = noKey.headers['x-tripo-trace-id'] as string
  const logged = await h.logLine((line) => line['msg'] === 'answered 1004: not a WebSocket handshake')
  t.equal(logged['traceId'], traceId, 'the refusal is logged under the trace id it answered with')
  t.equal(logged['detail'], 'Missing or invalid Sec-WebSocket-Key header')
  const badVersion = await raw(h, 'GET', '/v2/openapi/task/watch/all', [...upgrade, ['Sec-WebSocket-Version', '99'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']])
  expectEnvelope(t, badVersion, 400, 1004)
  const notAWatch = await raw(h, 'GET', '/v2/openapi/task/nope', [...upgrade, ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']])
  expectEnvelope(t, notAWatch, 404, 2001)
  t.pass('an upgrade to a route that is no watch is answered as that route, over HTTP (it was switched to a WebSocket, without a trace id, then closed)')

  const connected = await raw(h, 'CONNECT', 'example.com:443', [])
  expectEnvelope(t, connected, 404, 9404)
  t.ok(connected.headers['connection'] === 'close', 'and the connection closes')
})

t.test('4. an upgrade request answered over plain HTTP has its connection closed by the server', async (t) => {
  const h = await harness(t)
  const port = Number(new URL(await listening(h)).port)
  // Before, these sockets stayed open for good: this waits for the server to close them.
  for (const path of ['/__mock/health', '/nowhere', '/docs']) {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk) => { received += String(chunk) })
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)
    await once(socket, 'close')
    t.match(received, /^HTTP\/1\.1 (200|404) /, `${path}: answered, then closed`)
    t.match(received, /\r\nx-tripo-trace-id: [0-9a-f-]{36}\r\n/)
  }
})

t.test('5. an API key longer than 256 characters is refused (401/1002) and keeps nothing', async (t) => {
  const h = await harness(t)
  const long = `tsk_${'k'.repeat(MAX_KEY_LENGTH - 3)}`
  const refused = await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer(long) })
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 1002)
  t.equal(h.services.emulator.existingTenant(long), undefined)
  const longest = long.slice(0, MAX_KEY_LENGTH)
  t.equal((await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer(longest) })).statusCode, 200, '256 is fine')
  const controlKey = await control(h)('GET', '/credits', { key: long })
  t.equal(controlKey.statusCode, 400, 'the control plane refuses it in its key header too')
  t.throws(() => loadConfig({ overrides: { apiKeys: [long] } }), /^invalid setting apiKeys\[0\] \(option\): must NOT have more than 256 characters$/, 'the list item named by its place')
})

t.test('5. tenants are bounded by count and age, never forgetting one with a task or a watch', async (t) => {
  const h = await harness(t, { maxTenants: 3, tenantTtlSeconds: 3600 })
  const keys = ['tsk_a', 'tsk_b', 'tsk_c', 'tsk_d', 'tsk_e'].map((key) => `${key}_bounded_tenant`)
  const balance = (key: string) => h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer(key) })
  const id = await h.newTask({ type: 'text_to_model', prompt: 'kept' }, keys[0])
  await control(h)('PATCH', '/credits', { key: keys[1], body: { balance: 7 } })
  await balance(keys[2] as string)
  await balance(keys[1] as string)
  await balance(keys[3] as string)
  t.same(h.services.emulator.tenantKeys().sort(), [keys[0], keys[1], keys[3]].sort(), 'the least recently used that held nothing went')
  t.equal((await h.getTask(id, keys[0])).json().data.task_id, id, 'a tenant with a task kept stays')
  t.same((await balance(keys[1] as string)).json().data, { balance: 7, frozen: 0 }, 'a key in use keeps its credits')

  h.clock.advance(3_600_000)
  await balance(keys[4] as string)
  t.same(h.services.emulator.tenantKeys().sort(), [keys[0], keys[1], keys[4]].sort(), 'idle for tenantTtlSeconds: forgotten (and the task\'s owner stays)')
  t.same((await balance(keys[3] as string)).json().data, { balance: 10000, frozen: 0 }, 'a forgotten key starts afresh')
})

t.test('7. signed URLs are wholly signed; the STS session token is compared whole', async (t) => {
  const h = await harness(t)
  const id = await h.finishedTask({ type: 'text_to_model', prompt: 'a cat' })
  const url = local((await h.getTask(id)).json().data.output.pbr_model as string)
  t.equal((await h.app.inject({ url })).statusCode, 200)
  for (const [label, changed] of [['changed', url.replace(/Key-Pair-Id=\w+/, 'Key-Pair-Id=KSOMEONEELSE')], ['missing', url.replace(/&Key-Pair-Id=\w+/, '')], ['empty', url.replace(/Key-Pair-Id=\w+/, 'Key-Pair-Id=')]]) {
    const refused = await h.app.inject({ url: changed })
    t.equal(refused.statusCode, 403, `a ${label} Key-Pair-Id`)
    t.match(refused.body, '<Error><Code>AccessDenied</Code><Message>Access Denied</Message>')
  }
})

t.test('8. combined scenarios combine: latency adds to the error, fault or fate of another rule', async (t) => {
  const h = await harness(t)
  for (const header of ['error-2000,slow-responses', 'slow-responses,error-2000']) {
    const answer = h.app.inject({ url: '/v2/openapi/task/x', headers: { ...bearer(), [SCENARIO]: header } })
    const fired = (rule: string) => h.logLine((line) => line['msg'] === 'scenario rule fired' && line['rule'] === rule)
    await Promise.all([fired('error-2000/error-2000'), fired('slow-responses/lognormal')])
    let settled = false
    answer.then(() => { settled = true }, () => {})
    await new Promise((resolve) => setImmediate(resolve))
    t.notOk(settled, `${header}: the answer waits for the latency`)
    h.clock.advance(5_000)
    const response = await answer
    t.equal(response.statusCode, 429, `${header}: then the error`)
    t.equal(response.json().code, 2000)
    h.logs.length = 0
  }
  t.equal(h.services.journal.find({ status: 429 }, 1)[0]?.injectedBy, 'error-2000/error-2000', 'the journal names the rule that decided the answer')

  const fate = h.createTask({ type: 'text_to_model', prompt: 'a cat' }, 'tsk_mock_task-banned+slow-responses_1')
  await h.logLine((line) => line['msg'] === 'scenario rule fired' && line['rule'] === 'slow-responses/lognormal')
  h.clock.advance(5_000)
  const id = (await fate).json().data.task_id as string
  h.clock.advance(60_000)
  t.equal((await control(h)('GET', `/tasks/${id}`)).json().status, 'banned', 'latency and a fate')
})

t.test('8. a download combines its task\'s delivery with the request\'s own scenarios', async (t) => {
  const h = await harness(t)
  const add = (name: string, rule: Record<string, unknown>) => h.services.scenarios.addAdhoc(compileScenario({ description: name, rules: [rule] }, { name, origin: 'adhoc' }))
  add('deliver-missing', { match: { operation: 'createTask' }, effect: { fate: { status: 'success', downloads: { error: 'FILE_NOT_FOUND' } } } })
  add('deliver-late', { match: { operation: 'createTask' }, effect: { fate: { status: 'success', downloads: { latency: { fixed: '2s' } } } } })
  add('download-fails', { match: { operation: 'download' }, effect: { error: 'FATAL_ERROR' } })
  const urlOf = async (scenario: string) => {
    const created = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), [SCENARIO]: scenario }, payload: { type: 'text_to_model', prompt: 'a cat' } })
    h.clock.advance(60_000)
    return local((await h.getTask(created.json().data.task_id as string)).json().data.output.pbr_model as string)
  }
  const download = async (url: string, scenario: string, waitMs: number) => {
    h.logs.length = 0
    const answer = h.app.inject({ url, headers: { [SCENARIO]: scenario } })
    if (waitMs > 0) {
      await h.logLine((line) => line['msg'] === 'scenario rule fired' && line['selectedBy'] === 'header')
      h.clock.advance(waitMs)
    }
    return answer
  }
  const missing = await urlOf('deliver-missing')
  const late = await urlOf('deliver-late')
  t.equal((await download(missing, 'slow-responses', 5_000)).json().code, 2019, 'latency from the request, the outcome from the delivery')
  t.equal((await download(missing, 'download-fails', 0)).json().code, 1001, 'the request\'s own outcome wins over the delivery\'s')
  t.equal((await download(late, 'download-fails', 2_000)).json().code, 1001, 'and the delivery\'s latency still adds to it')
  t.equal((await download(late, 'slow-responses', 7_000)).statusCode, 200, 'two latencies, no outcome: the file')
})

t.test('9. no paths of the host: scenario files relative to their folder; a config file\'s content never repeated', async (t) => {
  const h = await harness(t)
  const list = (await control(h)('GET', '/scenarios')).json() as Array<{ file?: string }>
  t.ok(list.length > 0)
  for (const { file } of list) t.match(file, /^[a-z0-9-]+\.yaml$/, `${String(file)}: its name in its folder`)

  const dir = mkdtempSync(join(tmpdir(), 'tripo-config-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const shadow = join(dir, 'shadow')
  writeFileSync(shadow, 'root:$6$salt$hash:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n')
  t.throws(() => loadConfig({ file: shadow }), { message: `unknown setting (in ${shadow})` })
  const json = join(dir, 'secret.json')
  writeFileSync(json, '{"password": hunter2}')
  t.throws(() => loadConfig({ file: json }), { message: `config file ${json} is not valid JSON` })
  t.notOk(h.rawLogs().includes(OTHER_KEY))
})
