/**
 * The errors V3 answers from the real API's own rules (reference §0.2, §3, §8.2), each in V3's
 * envelope with its request_id: the body, the routes, methods and content types, authentication,
 * `model`, the P line, versions, lists, inputs and file tokens, the source tasks, credit.
 */
import t, { type Test } from 'tap'
import { GLB, PNG } from '../../fixtures/files.ts'
import { bearer, harness, type Harness, OTHER_KEY } from '../../fixtures/harness.ts'
import { v3Calls } from '../../fixtures/v3-calls.ts'

const IMAGE = 'https://example.com/cat.png'
const MODEL = 'v3.1-20260211'
const TASK_ID = '0196f4ce-82a8-7ddb-970f-6a940e17c830'

async function expectError (t: Test, h: Harness, path: string, body: unknown, status: number, code: number, key?: string): Promise<void> {
  const response = await v3Calls(h).create(path, body, key)
  t.equal(response.statusCode, status, `HTTP ${status} for ${path} ${JSON.stringify(body).slice(0, 80)}`)
  const answer = response.json()
  t.equal(answer.code, code, response.body)
  t.equal(answer.status, 'error')
  t.equal(answer.request_id, response.headers['x-tripo-trace-id'], 'request_id is the trace id')
}

t.test('1003: the body is not a JSON object; 415/1003: not JSON at all', async (t) => {
  const h = await harness(t)
  const post = (payload: string | undefined, contentType?: string) => h.app.inject({
    method: 'POST', url: '/v3/generation/text-to-model', headers: { ...bearer(), ...(contentType === undefined ? {} : { 'content-type': contentType }) }, payload
  })
  for (const payload of ['{"prompt":', '[1,2]', '42', 'null', '"text"', '']) {
    const response = await post(payload, 'application/json')
    t.equal(response.statusCode, 400, payload)
    t.match(response.json(), { code: 1003, status: 'error', message: 'The request body is malformed' })
  }
  t.equal((await post(undefined)).json().code, 1003, 'no body')
  const text = await post('prompt=a cat', 'text/plain')
  t.equal(text.statusCode, 415)
  t.match(text.json(), { code: 1003, status: 'error', message: 'The request body is malformed' })
  t.equal((await post('<x/>', 'application/xml')).statusCode, 415)
})

t.test('404/4001 for an unknown V3 route; 405/1003 with Allow for a wrong method', async (t) => {
  const h = await harness(t)
  for (const url of ['/v3/generation/text-to-video', '/v3/task/abc', '/v3', '/v3/']) {
    const response = await h.app.inject({ url, headers: bearer() })
    t.equal(response.statusCode, 404, url)
    t.match(response.json(), { code: 4001, status: 'error', message: 'The requested route is not found' })
    t.ok(response.headers['x-tripo-trace-id'])
  }
  for (const [method, url, allow] of [['GET', '/v3/generation/text-to-model', 'POST'], ['DELETE', '/v3/tasks/abc', 'GET'], ['PUT', '/v3/files/', 'POST']] as const) {
    const response = await h.app.inject({ method, url, headers: bearer() })
    t.equal(response.statusCode, 405, `${method} ${url}`)
    t.equal(response.headers['allow'], allow)
    t.match(response.json(), { code: 1003, status: 'error' })
  }
  const journal = h.services.journal.find({ status: 405 })
  t.equal(journal[0]?.surface, 'v3', 'journalled under V3')
  const v2 = await h.app.inject({ url: '/v2/openapi/nope', headers: bearer() })
  t.same(Object.keys(v2.json()), ['code', 'message', 'suggestion'], 'V2 keeps its envelope (9404)')
})

t.test('401/1002 without a key, with a refused key, and in V3\'s envelope', async (t) => {
  const h = await harness(t, { apiKeys: ['tsk_allowed'] })
  for (const headers of [{}, { authorization: 'Basic abc' }, bearer('tsk_refused'), bearer('not_a_tripo_key')]) {
    const response = await h.app.inject({ url: '/v3/account/balance', headers })
    t.equal(response.statusCode, 401)
    t.match(response.json(), { code: 1002, status: 'error', message: 'Authentication failed' })
    t.notOk(response.headers['x-ratelimit-limit'], 'no window is reported to no key')
  }
  t.equal((await h.app.inject({ url: '/v3/account/balance', headers: bearer('tsk_allowed') })).statusCode, 200)
})

t.test('1004: model is required on the three to-model endpoints, and none is assumed', async (t) => {
  const h = await harness(t)
  await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat' }, 400, 1004)
  await expectError(t, h, '/generation/image-to-model', { input: IMAGE }, 400, 1004)
  await expectError(t, h, '/generation/multiview-to-model', { inputs: [IMAGE, '', IMAGE, ''] }, 400, 1004)
  t.match(h.logs.find((line) => line['detail'] === 'model is required'), {}, 'the log says why')
})

t.test('versions: V3\'s list; V2\'s retired ones 2015; others 2017; V2\'s canonical image models 2017', async (t) => {
  const h = await harness(t)
  for (const model of ['v2.0-20240919', 'Turbo-v1.0-20250506', 'v1.4-20240625']) await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat', model }, 400, 2015)
  await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat', model: 'v2.5-20260210' }, 400, 2017)
  await expectError(t, h, '/generation/text-to-image', { prompt: 'a cat', model: 'gpt_image_1.5' }, 400, 2017)
  await expectError(t, h, '/generation/image-to-image', { input: IMAGE, prompt: 'a cat', model: 'seedream_v4' }, 400, 2017)
  await expectError(t, h, '/animations/rig', { input: TASK_ID, model: 'v2.0-20250506' }, 400, 2017)
  await expectError(t, h, '/models/texture', { input: TASK_ID, model: 'v2.0-20240919' }, 400, 2015)
})

t.test('the P line refuses quad (P1), smart_low_poly, generate_parts and geometry_quality, even false; face_limit 48-20000', async (t) => {
  const h = await harness(t)
  for (const field of ['quad', 'smart_low_poly', 'generate_parts']) {
    await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat', model: 'P1-20260311', [field]: false }, 400, 1004)
  }
  await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat', model: 'P1-20260311', geometry_quality: 'standard' }, 400, 1004)
  await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat', model: 'P1-20260311', face_limit: 47 }, 400, 1004)
  await expectError(t, h, '/generation/image-to-model', { input: IMAGE, model: 'P2-20260801', smart_low_poly: true }, 400, 1004)
  const v3 = v3Calls(h)
  const quad = await v3.task('/generation/text-to-model', { prompt: 'a cat', model: 'P2-20260801', quad: true })
  h.clock.advance(10 * 60 * 1000)
  const task = await v3.read(quad)
  t.match(task.input, { quad: true, face_limit: 10000 }, 'P2 takes quad')
  t.match(task.output.model_url, /\/quad\.fbx\?/, 'delivered as FBX')
  t.equal(task.credits_consumed, 30 + 10 + 5, 'priced as the P line, with the quad extra')
})

t.test('lists and counts: 100 ids, 5 animations, 1-4 edit prompts, prompt lengths, mutually exclusive fields', async (t) => {
  const h = await harness(t)
  const ids = Array.from({ length: 101 }, (_, i) => `id-${i}`)
  await expectError(t, h, '/tasks/list', { task_ids: ids }, 400, 1004)
  await expectError(t, h, '/tasks/list', { ids: [] }, 400, 1004)
  const presets = ['preset:walk', 'preset:run', 'preset:jump', 'preset:idle', 'preset:turn', 'preset:fall']
  await expectError(t, h, '/animations/retarget', { input: TASK_ID, animations: presets }, 400, 1004)
  await expectError(t, h, '/animations/retarget', { input: TASK_ID, animation: 'preset:walk', animations: ['preset:run'] }, 400, 1004)
  await expectError(t, h, '/animations/retarget', { input: TASK_ID }, 400, 1004)
  await expectError(t, h, '/generation/edit-multiview', { input: TASK_ID, prompts: [] }, 400, 1004)
  const five = ['front', 'left', 'back', 'right', 'front'].map((view) => ({ view, prompt: 'x' }))
  await expectError(t, h, '/generation/edit-multiview', { input: TASK_ID, prompts: five }, 400, 1004)
  await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat', model: MODEL, negative_prompt: 'x'.repeat(256) }, 400, 1004)
  await expectError(t, h, '/generation/text-to-model', { prompt: '', model: MODEL }, 400, 1004)
  await expectError(t, h, '/generation/image-to-image', { input: IMAGE, inputs: [IMAGE], prompt: 'x' }, 400, 1004)
  await expectError(t, h, '/generation/image-to-image', { input: IMAGE }, 400, 1004, undefined)
  await expectError(t, h, '/generation/image-to-image', { inputs: Array.from({ length: 5 }, () => IMAGE), prompt: 'x', model: 'seedream_v5' }, 400, 1004)
  await expectError(t, h, '/generation/text-to-image', { prompt: 'x', model: 'seedream_v4', aspect_ratio: '16:9' }, 400, 1004)
  await expectError(t, h, '/generation/text-to-image', { prompt: 'x', model: 'banana', aspect_ratio: '8:1' }, 400, 1004)
  await expectError(t, h, '/generation/text-to-image', { prompt: 'x', model: 'banana', quality: 'high' }, 400, 1004)
  await expectError(t, h, '/generation/text-to-image', { prompt: 'x', model: 'chat_image_2', background: 'transparent' }, 400, 1004)
  t.equal((await v3Calls(h).create('/generation/text-to-image', { prompt: 'x', model: 'chat_image_2.5_flare', quality: 'max', background: 'transparent' })).statusCode, 200)
  await expectError(t, h, '/mesh/smartsegment', { seg_type: 'model', input: 'https://example.com/a.glb' }, 400, 1004)
  await expectError(t, h, '/mesh/segment', { input: TASK_ID, split_by_connectivity: true }, 400, 1004)
})

t.test('inputs: what is not a URL, a file_token or a task id is 1004; data URLs too; a missing input too', async (t) => {
  const h = await harness(t)
  for (const input of ['cat.png', 'data:image/png;base64,iVBORw0KGgo=', 42, null, [IMAGE], { type: 'png' }]) {
    await expectError(t, h, '/generation/image-to-model', { input, model: MODEL }, 400, 1004)
  }
  await expectError(t, h, '/generation/image-to-model', { model: MODEL }, 400, 1004)
  await expectError(t, h, '/models/convert', { format: 'FBX' }, 400, 1004)
  await expectError(t, h, '/animations/retarget', { input: IMAGE, animation: 'preset:walk' }, 400, 1004)
  await expectError(t, h, '/generation/edit-multiview', { input: IMAGE, prompts: [{ view: 'left', prompt: 'x' }] }, 400, 1004)
  await expectError(t, h, '/mesh/smartsegment', { seg_type: 'image', input: TASK_ID }, 400, 1004)
  await expectError(t, h, '/models/import', { input: TASK_ID }, 400, 1004)
  await expectError(t, h, '/models/import', { file: { object: { bucket: 'tripo-data', key: 'k' } } }, 400, 1004)
  await expectError(t, h, '/generation/image-to-model', { file: { data: PNG.toString('base64') }, model: MODEL }, 400, 1004)
  await expectError(t, h, '/generation/image-to-model', { input: 'ftp://example.com/cat.png', model: MODEL }, 400, 1004)
  await expectError(t, h, '/generation/image-to-model', { input: { url: 'ftp://example.com/cat.png' }, model: MODEL }, 400, 2020)
})

t.test('file tokens: unknown, another key\'s, expired, or the wrong kind of file (1004, 2004)', async (t) => {
  const h = await harness(t, { uploadTokenTtlSeconds: 60 })
  const v3 = v3Calls(h)
  const mine = await v3.upload(PNG)
  const theirs = await v3.upload(PNG, OTHER_KEY)
  await expectError(t, h, '/generation/image-to-model', { input: 'file_00000000-0000-4000-8000-000000000000', model: MODEL }, 400, 1004)
  await expectError(t, h, '/generation/image-to-model', { input: theirs, model: MODEL }, 400, 1004)
  await expectError(t, h, '/generation/image-to-model', { input: { file_token: theirs }, model: MODEL }, 400, 1004)
  const glb = await v3.upload(GLB)
  await expectError(t, h, '/generation/image-to-model', { input: glb, model: MODEL }, 400, 2004)
  await expectError(t, h, '/models/import', { input: mine }, 400, 2004)
  h.clock.advance(61_000)
  await expectError(t, h, '/generation/image-to-model', { input: mine, model: MODEL }, 400, 1004)
})

t.test('source tasks: not found or another key\'s (2001), of the wrong type (2006, 2011, 2012), not finished (2007), a 2.x draft (2006)', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  await expectError(t, h, '/models/convert', { input: TASK_ID, format: 'FBX' }, 404, 2001)
  const theirs = await v3.finished('/generation/text-to-model', { prompt: 'a cat', model: MODEL }, OTHER_KEY)
  await expectError(t, h, '/models/convert', { input: theirs, format: 'FBX' }, 404, 2001)
  const image = await v3.finished('/generation/text-to-image', { prompt: 'a cat' })
  await expectError(t, h, '/models/convert', { input: image, format: 'FBX' }, 400, 2006)
  await expectError(t, h, '/animations/rig-check', { input: image }, 400, 2011)
  const model = await v3.finished('/generation/text-to-model', { prompt: 'a cat', model: MODEL })
  await expectError(t, h, '/animations/retarget', { input: model, animation: 'preset:walk' }, 400, 2012)
  await expectError(t, h, '/mesh/complete', { input: model }, 400, 2006)
  await expectError(t, h, '/models/refine', { input: model }, 400, 2006)
  await expectError(t, h, '/generation/image-to-model', { input: { task_id: TASK_ID }, model: MODEL }, 404, 2001)
  const running = await v3.task('/generation/text-to-model', { prompt: 'a dog', model: MODEL })
  await expectError(t, h, '/models/convert', { input: running, format: 'FBX' }, 400, 2007)
  await expectError(t, h, '/generation/image-to-model', { input: running, model: MODEL }, 400, 2007)
  const rig = await v3.finished('/animations/rig', { input: model })
  await expectError(t, h, '/generation/image-to-model', { input: rig, model: MODEL }, 400, 2006)
})

t.test('2008, 2009, 2010, 2013: prompt, credit and priority on V3', async (t) => {
  const h = await harness(t, { startingCredits: 15 })
  await expectError(t, h, '/generation/text-to-model', { prompt: 'a nude statue', model: MODEL }, 400, 2008)
  await expectError(t, h, '/generation/text-to-image', { prompt: 'a cat 🐱' }, 400, 2009)
  await expectError(t, h, '/generation/text-to-model', { prompt: 'a cat', model: MODEL }, 403, 2010)
  await expectError(t, h, '/generation/text-to-image', { prompt: 'a cat', priority: 3 }, 403, 2013)
})
