/**
 * Scenarios and limits on V3. One scenario works whichever surface a client speaks (operations
 * are shared; a rule can still narrow to one surface). V3's concurrency pools per category answer
 * 429/2000 with a Retry-After that holds; the request window answers 429/1007 and is reported on
 * every answer to a key in X-RateLimit-*.
 */
import t from 'tap'
import { bearer, harness } from '../../fixtures/harness.ts'
import { v3Calls } from '../../fixtures/v3-calls.ts'

const MODEL = 'v3.1-20260211'
const BODY = { prompt: 'a red car', model: MODEL }

t.test('the same scenario fires on a V3 creation and on a V2 creation, in each surface\'s envelope', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const headers = { 'x-tripo-mock-scenario': 'error-2010' }
  const onV3 = await v3.create('/generation/text-to-model', BODY, undefined, headers)
  t.equal(onV3.statusCode, 403)
  t.match(onV3.json(), { code: 2010, status: 'error', request_id: onV3.headers['x-tripo-trace-id'] })
  const onV2 = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), ...headers }, payload: { type: 'text_to_model', prompt: 'a car' } })
  t.equal(onV2.statusCode, 403)
  t.same(Object.keys(onV2.json()), ['code', 'message', 'suggestion'])
  const injected = h.services.journal.find({ operation: 'createTask' }).map((entry) => [entry.surface, entry.injectedBy])
  t.same(injected, [['v2', 'error-2010/error-2010'], ['v3', 'error-2010/error-2010']], 'both journalled as injected, each with its surface')
})

t.test('a fate by prompt directive or by API key decides a V3 task as it decides a V2 one', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const byPrompt = await v3.finished('/generation/text-to-model', { ...BODY, prompt: 'a car [[mock:task-fails-at-60]]' })
  t.match(await v3.read(byPrompt), { status: 'failed', error_code: 1001 })
  const byKey = await v3.finished('/generation/text-to-image', { prompt: 'a cat' }, 'tsk_mock_task-banned_ci')
  t.match(await v3.read(byKey, 'tsk_mock_task-banned_ci'), { status: 'failed', error_code: 2008 })
  const listed = h.services.emulator.findTask(byPrompt)
  t.match(listed?.fateSource, /^task-fails-at-60\//, 'the rule that decided it')
})

t.test('rules narrow by surface and by the task type a V3 route creates', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const added = await h.app.inject({
    method: 'POST',
    url: '/__mock/scenarios',
    payload: {
      name: 'v3-images-only',
      description: 'refuses V3 text-to-image, nothing else',
      rules: [{ match: { operation: 'createTask', surface: 'v3', taskType: 'text_to_image' }, effect: { error: 'AUDIT_ERROR' } }]
    }
  })
  t.equal(added.statusCode, 201, added.body)
  const headers = { 'x-tripo-mock-scenario': 'v3-images-only' }
  t.equal((await v3.create('/generation/text-to-image', { prompt: 'a cat' }, undefined, headers)).json().code, 2014)
  t.equal((await v3.create('/generation/text-to-model', BODY, undefined, headers)).statusCode, 200, 'another type passes')
  const v2 = await h.app.inject({ method: 'POST', url: '/v2/openapi/task', headers: { ...bearer(), ...headers }, payload: { type: 'text_to_image', prompt: 'a cat' } })
  t.equal(v2.statusCode, 200, 'V2 passes')
  const refused = await h.app.inject({ method: 'POST', url: '/__mock/scenarios', payload: { name: 'bad', description: 'x', rules: [{ match: { surface: 'v4' }, effect: { pass: true } }] } })
  t.equal(refused.statusCode, 400)
  t.match(refused.json().detail, /rules\[0\]\.match\.surface: must be the API surface/)
})

t.test('V3\'s pools: one image task at a time; 429/2000 with a Retry-After that holds', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  await v3.task('/generation/text-to-image', { prompt: 'one' })
  const busy = await v3.create('/generation/image-to-multiview', { input: 'https://example.com/cat.png' })
  t.equal(busy.statusCode, 429, 'the image pool holds one task, whatever its kind')
  t.match(busy.json(), { code: 2000, status: 'error' })
  const wait = Number(busy.headers['retry-after'])
  t.equal(wait, 6, 'text-to-image queues 1 s and runs 5 s')
  h.clock.advance(wait * 1000 - 1)
  t.equal((await v3.create('/generation/text-to-image', { prompt: 'two' })).statusCode, 429, 'not a moment sooner')
  h.clock.advance(1)
  t.equal((await v3.create('/generation/text-to-image', { prompt: 'two' })).statusCode, 200, 'and then it gets through')
  t.equal((await v3.create('/generation/text-to-model', BODY)).statusCode, 200, 'other pools are separate')
})

t.test('the P series has its own pool of 5; pools are configurable by name', async (t) => {
  const h = await harness(t, { concurrencyLimits: { h_series: 2 } })
  const v3 = v3Calls(h)
  for (let i = 0; i < 5; i++) t.equal((await v3.create('/generation/text-to-model', { ...BODY, model: 'P1-20260311' })).statusCode, 200)
  t.equal((await v3.create('/generation/text-to-model', { ...BODY, model: 'P1-20260311' })).json().code, 2000)
  t.equal((await v3.create('/generation/text-to-model', BODY)).statusCode, 200)
  t.equal((await v3.create('/generation/text-to-model', BODY)).statusCode, 200)
  t.equal((await v3.create('/generation/text-to-model', BODY)).json().code, 2000, 'h_series set to 2')
  t.equal((await h.createTask({ type: 'text_to_model', prompt: 'a cat' })).statusCode, 200, 'V2\'s groups are its own')
})

t.test('X-RateLimit-* on every answer to a key; 429/1007 above the window, with a true Retry-After', async (t) => {
  const h = await harness(t, { requestsPerSecond: 3 })
  const v3 = v3Calls(h)
  const answers = []
  for (let i = 0; i < 4; i++) answers.push(await h.app.inject({ url: '/v3/account/balance', headers: bearer() }))
  t.same(answers.map((answer) => [answer.statusCode, answer.headers['x-ratelimit-limit'], answer.headers['x-ratelimit-remaining'], answer.headers['x-ratelimit-reset']]), [
    [200, '3', '2', '1'], [200, '3', '1', '1'], [200, '3', '0', '1'], [429, '3', '0', '1']
  ])
  t.match(answers[3]?.json(), { code: 1007, status: 'error' })
  t.equal(answers[3]?.headers['retry-after'], '1')
  const missing = await v3.get('nope')
  t.equal(missing.statusCode, 429, 'a 404 would be counted too')
  h.clock.advance(1000)
  const next = await v3.get('nope')
  t.equal(next.statusCode, 404)
  t.equal(next.headers['x-ratelimit-remaining'], '2', 'refusals carry the window too')
})

t.test('with no limit configured, the window reports a limit no client reaches', async (t) => {
  const h = await harness(t)
  const first = await h.app.inject({ url: '/v3/account/balance', headers: bearer() })
  const second = await h.app.inject({ url: '/v3/account/balance', headers: bearer() })
  t.equal(first.headers['x-ratelimit-limit'], '1000000')
  t.equal(Number(first.headers['x-ratelimit-remaining']) - Number(second.headers['x-ratelimit-remaining']), 1)
  t.notOk((await h.app.inject({ url: '/v2/openapi/user/balance', headers: bearer() })).headers['x-ratelimit-limit'], 'V2 never sent them')
})

t.test('the journal and the control plane see V3 requests and tasks like any other', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const id = await v3.task('/generation/text-to-model', BODY)
  await h.createTask({ type: 'text_to_model', prompt: 'a cat' })
  const journal = await h.app.inject({ url: '/__mock/journal?surface=v3' })
  t.same(journal.json().entries.map((entry: Record<string, unknown>) => [entry['operation'], entry['surface']]), [['createTask', 'v3']])
  const tasks = (await h.app.inject({ url: '/__mock/tasks', headers: { 'x-tripo-mock-key': 'tsk_test_primary_key_0001' } })).json()
  t.equal(tasks.tasks?.length ?? tasks.length, 2, 'both surfaces\' tasks are listed')
  const forced = await h.app.inject({ method: 'POST', url: `/__mock/tasks/${id}/force`, payload: { status: 'expired' } })
  t.equal(forced.statusCode, 200)
  t.match(await v3.read(id), { status: 'failed', error_code: 2018 })
})
