/**
 * The V3 surface driven the way the official JS SDK (@vastai/tripo-sdk 0.2.0) drives it, over a
 * real socket: its paths, headers, bodies, multipart upload, `input` forms, and its reactions
 * (429 retried after Retry-After, a 500 on a creation not retried, on a read retried, a failed
 * task thrown as its task error). The client (test/fixtures/js-sdk-client.ts) waits by advancing
 * the emulator's manual clock, so every Retry-After the emulator gives is true in that clock.
 *
 * The SDK retries a 503 as it retries a 429; no test here gives it one, because the emulator never
 * answers 503: the error catalogue has no 503 entry (the Tripo docs list none), and a scenario can
 * only answer catalogue errors.
 */
import type { IncomingHttpHeaders } from 'node:http'
import t, { type Test } from 'tap'
import { control } from '../../fixtures/control.ts'
import { GLB, PNG, fixture } from '../../fixtures/files.ts'
import { parseGlb } from '../../fixtures/formats.ts'
import { harness, type Harness, KEY, START } from '../../fixtures/harness.ts'
import { JsSdkClient, SDK_USER_AGENT, SdkApiError, SdkRequestError, SdkTaskError, type V3Task } from '../../fixtures/js-sdk-client.ts'
import type { Config } from '../../../src/infra/config.ts'

const MODEL = 'v3.1-20260211'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const FILE_TOKEN = /^file_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** The jitter the client adds to an exponential backoff (the SDK draws 0-249 ms). */
const JITTER = 100

interface Seen { method: string, url: string, headers: IncomingHttpHeaders }

interface Setup {
  h: Harness
  base: string
  /** Requests as the server saw them, in order. */
  seen: Seen[]
  client: (options?: { apiKey?: string, defaultHeaders?: Record<string, string> }) => JsSdkClient
}

async function setup (t: Test, config: Partial<Config> = {}): Promise<Setup> {
  const h = await harness(t, config)
  const base = await h.listen()
  const seen: Seen[] = []
  h.app.server.on('request', (request: { method: string, url: string, headers: IncomingHttpHeaders }) => { seen.push({ method: request.method, url: request.url, headers: request.headers }) })
  const client = (options: { apiKey?: string, defaultHeaders?: Record<string, string> } = {}) => new JsSdkClient({
    apiKey: options.apiKey ?? KEY,
    // As the README tells a user to write it; the client drops the trailing slash.
    baseUrl: `${base}/v3/`,
    sleep: (ms) => { h.clock.advance(ms) },
    jitter: () => JITTER,
    ...(options.defaultHeaders === undefined ? {} : { defaultHeaders: options.defaultHeaders })
  })
  return { h, base, seen, client }
}

/** What `fn` threw (the test fails if it did not). */
async function thrown<T extends Error> (t: Test, fn: () => Promise<unknown>, type: new (...args: any[]) => T): Promise<T> {
  try {
    await fn()
  } catch (error) {
    t.type(error, type)
    return error as T
  }
  t.fail(`expected a ${type.name}`)
  throw new Error('unreachable')
}

t.test('text-to-model, waitForTask and downloadModel: a valid GLB, fetched with the key in Authorization', async (t) => {
  const { h, base, seen, client } = await setup(t)
  const sdk = client()
  const id = await sdk.textToModel({ prompt: 'a small cat', model: MODEL, negative_prompt: undefined, texture: false })
  t.match(id, UUID)

  const created = sdk.attempts[0]
  t.equal(created?.url, `${base}/v3/generation/text-to-model`, 'the base URL without its trailing slash, then the path')
  t.equal(created?.body, JSON.stringify({ prompt: 'a small cat', model: MODEL, texture: false }), 'params compacted: undefined dropped, false kept')
  t.match(seen[0], { method: 'POST', url: '/v3/generation/text-to-model', headers: { authorization: `Bearer ${KEY}`, 'user-agent': SDK_USER_AGENT, 'content-type': 'application/json' } })

  const statuses: string[] = []
  const task = await sdk.waitForTask(id, { onProgress: (each) => statuses.push(each.status) })
  t.equal(task.status, 'success')
  t.same([...new Set(statuses)], ['queued', 'running', 'success'], 'polled through every status')
  t.ok(sdk.waits.length > 0 && sdk.waits.every((ms) => ms === 2000), 'a poll every 2 s (the SDK default), on the emulator clock')
  t.equal(h.clock.now() - START, sdk.waits.reduce((sum, ms) => sum + ms, 0), 'the only time that passed is the waits')
  t.equal(task.created_at, new Date(START).toISOString())
  t.ok(Date.parse(task.completed_at as string) <= h.clock.now())
  t.equal(typeof task.credits_consumed, 'number')
  t.ok(task.credits_consumed > 0)
  t.match(task.output['model_url'], /^http:\/\/127\.0\.0\.1:\d+\//)
  t.match(task.input, { prompt: 'a small cat', model: MODEL, texture: false, texture_quality: 'standard' }, 'input echoes the request, with the defaults applied')

  const downloaded = await sdk.downloadModel(task)
  t.ok(downloaded !== null)
  t.equal(downloaded?.contentType, 'model/gltf-binary')
  t.doesNotThrow(() => parseGlb(Buffer.from(downloaded?.data as ArrayBuffer)), 'a valid GLB')
  const download = seen.at(-1) as Seen
  t.equal(`${base}${download.url}`, task.output['model_url'], 'fetched at model_url itself, not under /v3')
  t.equal(download.headers.authorization, `Bearer ${KEY}`, 'with the API key, which the download accepts')

  const balance = await sdk.getBalance()
  t.equal(typeof balance.balance, 'number')
  t.equal(balance.balance, 10000 - task.credits_consumed)
})

t.test('uploadFile (a PNG, a GLB), then image-to-model and models/import with the token as a string and as a descriptor', async (t) => {
  const { h, seen, client } = await setup(t)
  const sdk = client()

  const png = await sdk.uploadFile(PNG)
  t.match(png.file_token, FILE_TOKEN)
  const sent = await new Response(sdk.attempts[0]?.body as FormData).text()
  t.match(sent, /Content-Disposition: form-data; name="file"; filename="upload\.bin"\r\nContent-Type: application\/octet-stream\r\n/, 'the SDK\'s field, file name and type by default')
  t.match(seen[0], { method: 'POST', url: '/v3/files', headers: { 'content-type': /^multipart\/form-data; boundary=/, authorization: `Bearer ${KEY}` } })
  const glb = await sdk.uploadFile(GLB, { filename: 'cat.glb', contentType: 'model/gltf-binary' })
  t.match(glb.file_token, FILE_TOKEN)

  const fromString = await sdk.imageToModel({ input: png.file_token, model: MODEL })
  const fromDescriptor = await sdk.imageToModel({ input: { file_token: png.file_token }, model: MODEL })
  const fromAlias = await sdk.imageToModel({ file_token: png.file_token, model: MODEL })
  t.same(sdk.attempts.slice(-3).map((attempt) => JSON.parse(attempt.body as string).input), [png.file_token, { file_token: png.file_token }, png.file_token], 'a string input, a descriptor, and file_token sent as the input string')
  const importedFromString = await sdk.create('/models/import', { input: glb.file_token })
  const importedFromDescriptor = await sdk.create('/models/import', { input: { file_token: glb.file_token } })

  h.clock.advance(10 * 60 * 1000)
  const { tasks, missed } = await sdk.listTasks([fromString, fromDescriptor, fromAlias, importedFromString, importedFromDescriptor])
  t.same(missed, [])
  for (const id of [fromString, fromDescriptor, fromAlias]) t.match(tasks[id], { type: 'image_to_model', status: 'success' })
  for (const id of [importedFromString, importedFromDescriptor]) {
    const task = tasks[id] as V3Task
    t.match(task, { type: 'import_model', status: 'success' })
    const downloaded = await sdk.downloadModel(task)
    t.ok(Buffer.from(downloaded?.data as ArrayBuffer).equals(GLB), 'the import serves the uploaded bytes back')
  }
  t.match(tasks[fromString]?.input, { input: png.file_token }, 'the input is echoed as sent')
  t.match(tasks[fromDescriptor]?.input, { input: { file_token: png.file_token } })
})

t.test('multiview-to-model: four views with \'\' for the gaps, or [{task_id}] of an image-to-multiview task', async (t) => {
  const { h, client } = await setup(t)
  const sdk = client()
  const front = (await sdk.uploadFile(fixture('view-front.png'))).file_token
  const back = (await sdk.uploadFile(fixture('view-back.png'))).file_token
  const fromViews = await sdk.multiviewToModel({ inputs: [front, null, { file_token: back }, null], model: MODEL })
  t.same(JSON.parse(sdk.attempts.at(-1)?.body as string).inputs, [front, '', { file_token: back }, ''])

  const multiview = await sdk.imageToMultiview({ input: front })
  h.clock.advance(10 * 60 * 1000)
  t.equal((await sdk.getTask(multiview)).status, 'success')
  const fromTask = await sdk.multiviewToModel({ input_task_id: multiview, model: MODEL })
  t.same(JSON.parse(sdk.attempts.at(-1)?.body as string).inputs, [{ task_id: multiview }])

  for (const id of [fromViews, fromTask]) {
    const task = await sdk.waitForTask(id)
    t.match(task, { type: 'multiview_to_model', status: 'success', output: { model_url: /^http/ } })
  }
})

t.test('a 429/2000 from the V3 image pool (1 slot) is retried after exactly its Retry-After, and then succeeds', async (t) => {
  const { h, client } = await setup(t)
  const sdk = client()
  const first = await sdk.textToImage({ prompt: 'a red apple' })
  const second = await sdk.textToImage({ prompt: 'a green pear' })
  t.not(second, first)

  const [refused, accepted] = sdk.attempts.slice(1)
  t.equal(refused?.status, 429)
  t.match(refused?.retryAfter, /^\d+$/, 'Retry-After in whole seconds')
  t.equal(accepted?.status, 200)
  const retryAfter = Number(refused?.retryAfter)
  t.same(sdk.waits, [retryAfter * 1000], 'one wait, of exactly Retry-After')
  t.equal(h.clock.now(), START + retryAfter * 1000)
  const done = await sdk.getTask(first)
  t.equal(done.status, 'success', 'by then the slot\'s task had finished')
  t.equal(Date.parse(done.completed_at as string), START + retryAfter * 1000, 'at that very second: the Retry-After is true')
})

t.test('a 429 a scenario injects is retried twice (3 attempts), then surfaces as the API error', async (t) => {
  const { client } = await setup(t, { scenarioRetryAfter: 3 })

  // By the key's name: every request of this key.
  const byKey = client({ apiKey: 'tsk_mock_error-1007_sdk' })
  const rateLimited = await thrown(t, () => byKey.textToModel({ prompt: 'a cat', model: MODEL }), SdkApiError)
  t.match(rateLimited, { code: 1007, status: 429, suggestion: 'Please wait for a while and try again' })
  t.same(byKey.attempts.map((attempt) => attempt.status), [429, 429, 429], 'a POST is retried on a 429')
  t.same(byKey.waits, [3000, 3000], 'after the Retry-After the scenario gives')

  // By a header on every request of the client (the SDK's defaultHeaders).
  const byHeader = client({ defaultHeaders: { 'X-Tripo-Mock-Scenario': 'error-2000' } })
  const generationLimit = await thrown(t, () => byHeader.uploadFile(PNG), SdkApiError)
  t.match(generationLimit, { code: 2000, status: 429 })
  t.equal(byHeader.attempts.length, 3)
  t.same(byHeader.waits, [3000, 3000])
})

t.test('Retry-After is capped at 30 s; a refused attempt then a passing one', async (t) => {
  const { h, client } = await setup(t)
  const call = control(h)
  const added = await call('POST', '/scenarios', { body: { name: 'long-wait', description: 'one 429 asking for 45 s', rules: [{ match: { operation: 'getTask', surface: 'v3' }, times: 1, effect: { error: 'RATE_LIMITED', retryAfter: 45 } }] } })
  t.equal(added.statusCode, 201, added.body)
  const sdk = client()
  const id = await sdk.textToModel({ prompt: 'a cat', model: MODEL })
  t.equal((await call('POST', '/scenarios/long-wait/activate', { key: KEY })).statusCode, 200)
  const task = await sdk.getTask(id)
  t.equal(task.task_id, id)
  t.same(sdk.attempts.slice(1).map((attempt) => [attempt.status, attempt.retryAfter]), [[429, '45'], [200, null]])
  t.same(sdk.waits, [30000], 'the SDK waits 30 s at most')
})

t.test('a 500/1001 on a creation: one attempt only, an indeterminate request error with the envelope kept', async (t) => {
  const { seen, client } = await setup(t)
  const sdk = client({ defaultHeaders: { 'X-Tripo-Mock-Scenario': 'error-1001' } })
  const error = await thrown(t, () => sdk.textToModel({ prompt: 'a cat', model: MODEL }), SdkRequestError)
  t.equal(error.indeterminate, true)
  t.equal(error.status, 500)
  t.match(error.body, { code: 1001, status: 'error', message: 'Fatal error on server side', request_id: UUID }, 'the V3 error envelope, not turned into an API error')
  t.equal(sdk.attempts.length, 1, 'not retried: the task may have been created')
  t.same(sdk.waits, [])
  t.equal(seen.filter((request) => request.url === '/v3/generation/text-to-model').length, 1)
})

t.test('a 500/1001 on a read: retried with backoff, then the API error; or retried until it passes', async (t) => {
  const { h, client } = await setup(t)
  const id = await client().textToModel({ prompt: 'a cat', model: MODEL })

  const failing = client({ defaultHeaders: { 'X-Tripo-Mock-Scenario': 'error-1001' } })
  const error = await thrown(t, () => failing.getTask(id), SdkApiError)
  t.match(error, { code: 1001, status: 500 })
  t.same(failing.attempts.map((attempt) => attempt.status), [500, 500, 500])
  t.same(failing.waits, [1000 + JITTER, 2000 + JITTER], 'no Retry-After: 1 s, then 2 s, plus jitter')

  const call = control(h)
  await call('POST', '/scenarios', { body: { name: 'two-500s', description: 'two failing reads', rules: [{ match: { operation: 'getTask' }, times: 2, effect: { error: 'FATAL_ERROR' } }] } })
  await call('POST', '/scenarios/two-500s/activate', { key: KEY })
  const recovering = client()
  t.equal((await recovering.getTask(id)).task_id, id)
  t.same(recovering.attempts.map((attempt) => attempt.status), [500, 500, 200])
})

t.test('a connection reset: a read is retried, a creation ends indeterminate', async (t) => {
  const { h, client } = await setup(t)
  const sdk = client()
  const id = await sdk.textToModel({ prompt: 'a cat', model: MODEL })
  const call = control(h)
  await call('POST', '/scenarios', { body: { name: 'resets', description: 'one reset per operation', rules: [{ match: { operation: 'getTask' }, times: 1, effect: { fault: 'reset' } }, { match: { operation: 'createTask' }, times: 1, effect: { fault: 'reset' } }] } })
  await call('POST', '/scenarios/resets/activate', { key: KEY })

  const reader = client()
  t.equal((await reader.getTask(id)).task_id, id)
  t.equal(reader.attempts.length, 2)
  t.match(reader.attempts[0]?.failure, /ECONNRESET|UND_ERR_SOCKET/)
  t.same(reader.waits, [1000 + JITTER])

  const creator = client()
  const error = await thrown(t, () => creator.textToModel({ prompt: 'a dog', model: MODEL }), SdkRequestError)
  t.equal(error.indeterminate, true)
  t.equal(creator.attempts.length, 1)
})

t.test('a failed task: waitForTask throws the task error with its error code and message', async (t) => {
  const { client } = await setup(t)
  for (const [scenario, errorCode, errorMessage] of [
    ['task-failed', 1001, 'Fatal error on server side'],
    ['task-banned', 2008, 'The input is rejected due to violation of content policy']
  ] as const) {
    const sdk = client({ apiKey: `tsk_mock_${scenario}_sdk` })
    const id = await sdk.textToModel({ prompt: 'a cat', model: MODEL })
    const error = await thrown(t, () => sdk.waitForTask(id), SdkTaskError)
    t.match(error, { status: 'failed', errorCode, errorMessage }, scenario)
    t.match(error.task, { task_id: id, status: 'failed', error_code: errorCode, output: {}, credits_consumed: 0 })
    t.match(error.task.completed_at, /Z$/)
    const task = await sdk.waitForTask(id, { throwOnFailure: false })
    t.equal(task.status, 'failed', 'or returned, when told not to throw')
  }
})

t.test('listTasks answers the map of id to task plus the ids missed', async (t) => {
  const { client } = await setup(t)
  const sdk = client()
  const ids = [await sdk.textToModel({ prompt: 'a cat', model: MODEL }), await sdk.textToModel({ prompt: 'a dog', model: MODEL })]
  const foreign = await client({ apiKey: 'tsk_test_someone_else_0003' }).textToModel({ prompt: 'a fox', model: MODEL })
  const listed = await sdk.listTasks([...ids, 'no-such-task', foreign])
  t.same(Object.keys(listed.tasks).sort(), [...ids].sort())
  for (const id of ids) t.match(listed.tasks[id], { task_id: id, type: 'text_to_model', status: 'queued' })
  t.same(listed.missed, ['no-such-task', foreign], 'unknown ids and another key\'s tasks are missed')
  t.match(JSON.parse(sdk.attempts.at(-1)?.body as string), { task_ids: [...ids, 'no-such-task', foreign] })
})
