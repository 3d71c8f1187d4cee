/**
 * A V3 task walked through every status and fate on the manual clock, rendered as V3 renders
 * them (reference §4): five statuses, ISO times, credits as numbers, `_url` outputs, failures with
 * `error_code` and `error_message`. One engine: a task made on either surface reads on both. The
 * key is the tenant: another key's task is 2001, and is missed in a list.
 */
import t from 'tap'
import { bearer, harness, OTHER_KEY } from '../../fixtures/harness.ts'
import { v3Calls } from '../../fixtures/v3-calls.ts'

const MODEL = 'v3.1-20260211'
const BODY = { prompt: 'a red car', model: MODEL }

t.test('queued, running with progress, success: times, credits and outputs as V3 shows them', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const created = h.clock.now()
  const id = await v3.task('/generation/text-to-model', BODY)
  const queued = await v3.read(id)
  t.match(queued, { task_id: id, type: 'text_to_model', status: 'queued', progress: 0, output: {}, credits_consumed: 0, created_at: new Date(created).toISOString() })
  t.notOk('completed_at' in queued, 'no completed_at until final')
  for (const gone of ['create_time', 'queuing_num', 'running_left_time', 'consumed_credit', 'result', 'prompt']) t.notOk(gone in queued, `no V2 field ${gone}`)
  t.same(await h.balance(), { balance: 10000 - 20, frozen: 20 }, 'its price is frozen')

  h.clock.advance(2000 + 5000)
  const running = await v3.read(id)
  t.equal(running.status, 'running')
  t.equal(running.progress, 50)

  h.clock.advance(5000)
  const done = await v3.read(id)
  t.match(done, { status: 'success', progress: 100, credits_consumed: 20, completed_at: new Date(created + 12000).toISOString() })
  t.same(Object.keys(done.output).sort(), ['generated_image_url', 'model_url', 'rendered_image_url'])
  t.match(done.output.model_url, /^http:\/\/localhost:80\/files\/[0-9a-f-]+\/textured\.glb\?Expires=\d+&Signature=[\w-]+&Key-Pair-Id=/, 'the PBR model, under model_url')
  const download = await h.app.inject({ url: done.output.model_url.replace('http://localhost:80', ''), headers: bearer() })
  t.equal(download.statusCode, 200, 'downloadable, with the Authorization header the JS SDK sends')
  t.equal(download.rawPayload.subarray(0, 4).toString(), 'glTF')
  t.same(await h.balance(), { balance: 10000 - 20, frozen: 0 }, 'consumed on success')
})

t.test('every fate, as V3 shows it: failed 1001, banned → failed 2008, expired → failed 2018, unknown → failed 1000, cancelled', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const cases = [
    { scenario: 'task-failed', status: 'failed', code: 1001, message: 'Fatal error on server side' },
    { scenario: 'task-banned', status: 'failed', code: 2008, message: 'The input is rejected due to violation of content policy' },
    { scenario: 'task-expired', status: 'failed', code: 2018, message: 'The task expired in the queue before it could run' },
    { scenario: 'task-unknown', status: 'failed', code: 1000, message: 'Unknown error on sever side' },
    { scenario: 'task-cancelled', status: 'cancelled', code: undefined, message: undefined }
  ]
  for (const { scenario, status, code, message } of cases) {
    const id = await v3.task('/generation/text-to-model', { ...BODY, prompt: `a car [[mock:${scenario}]]` })
    h.clock.advance(10 * 60 * 1000)
    const task = await v3.read(id)
    t.equal(task.status, status, scenario)
    t.equal(task.error_code, code, `${scenario}: error_code`)
    t.equal(task.error_message, message, `${scenario}: error_message`)
    t.equal(task.credits_consumed, 0, `${scenario}: nothing consumed`)
    t.same(task.output, {}, `${scenario}: no output`)
    t.ok(task.completed_at, `${scenario}: completed_at`)
    t.equal(task.input.prompt, 'a car', 'the directive is stripped from the echo')
  }
  t.same(await h.balance(), { balance: 10000, frozen: 0 }, 'every failure refunded')
})

t.test('a failure the control plane forces with any code shows it, with a message', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const id = await v3.task('/generation/text-to-model', BODY)
  await h.app.inject({ method: 'POST', url: `/__mock/tasks/${id}/force`, payload: { status: 'failed', errorCode: 2014 } })
  t.match(await v3.read(id), { status: 'failed', error_code: 2014, error_message: 'Error occurred when auditing' })
  const other = await v3.task('/generation/text-to-model', BODY)
  await h.app.inject({ method: 'POST', url: `/__mock/tasks/${other}/force`, payload: { status: 'banned', errorCode: 4242 } })
  t.match(await v3.read(other), { status: 'failed', error_code: 4242, error_message: 'The task failed (error code 4242)' })
})

t.test('one engine: a V3 task reads on V2, a V2 task on V3, and each feeds the other surface\'s tasks', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const fromV3 = await v3.finished('/generation/text-to-model', BODY)
  const onV2 = (await h.getTask(fromV3)).json().data
  t.match(onV2, { task_id: fromV3, type: 'text_to_model', status: 'success', consumed_credit: 20 })
  t.match(onV2.output, { pbr_model: /textured\.glb/, base_model: /base\.glb/ }, 'V2 names its outputs its own way')
  t.match(onV2.input, { model: MODEL }, 'the echo is the one its surface made')

  const fromV2 = await h.finishedTask({ type: 'text_to_model', prompt: 'a cat' })
  t.match(await v3.read(fromV2), { status: 'success', input: { prompt: 'a cat', model_version: 'v2.5-20250123' }, output: { model_url: /textured\.glb/ } })
  t.equal((await v3.create('/animations/rig', { input: fromV2 })).statusCode, 200, 'a V2 task is a V3 source')
  t.equal((await h.createTask({ type: 'animate_rig', original_model_task_id: fromV3 })).statusCode, 200, 'and the other way round')
})

t.test('the key is the tenant: another key\'s task is 2001, and is missed in a list', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const mine = await v3.task('/generation/text-to-model', BODY)
  const theirs = await v3.task('/generation/text-to-model', BODY, OTHER_KEY)
  const foreign = await v3.get(theirs)
  t.equal(foreign.statusCode, 404)
  t.match(foreign.json(), { code: 2001, status: 'error', message: 'The task is not found' })
  const list = await v3.create('/tasks/list', { task_ids: [mine, theirs, 'nope'] })
  t.equal(list.statusCode, 200)
  const { data } = list.json()
  t.same(Object.keys(data.tasks), [mine], 'a map of id to task')
  t.equal(data.tasks[mine].status, 'queued')
  t.same(data.missed, [theirs, 'nope'])
  t.same((await v3.create('/tasks/list', { task_ids: [] })).json().data, { tasks: {}, missed: [] })
})

t.test('usage: the key\'s tasks, newest first, paged; balance as numbers', async (t) => {
  const h = await harness(t)
  const v3 = v3Calls(h)
  const ids: string[] = []
  for (let i = 0; i < 4; i++) {
    ids.push(await v3.task('/generation/text-to-image', { prompt: `cat ${i}` }))
    h.clock.advance(60_000)
  }
  const failed = await v3.task('/generation/text-to-image', { prompt: 'a cat [[mock:task-failed]]' })
  h.clock.advance(60_000)
  await v3.task('/generation/text-to-image', { prompt: 'a dog' }, OTHER_KEY)
  const usage = async (query: string) => h.app.inject({ url: `/v3/account/usage${query}`, headers: bearer() })
  const all = (await usage('')).json().data as Array<Record<string, unknown>>
  t.same(all.map((row) => row['task_id']), [failed, ...[...ids].reverse()], 'newest first, this key\'s only')
  t.same(Object.keys(all[0] as object), ['task_id', 'type', 'status', 'credits_consumed', 'created_at'])
  t.match(all[0], { status: 'failed', credits_consumed: 0 })
  t.match(all[1], { type: 'text_to_image', status: 'success', credits_consumed: 5 })
  t.same((await usage('?limit=2&offset=1')).json().data.map((row: Record<string, unknown>) => row['task_id']), [ids[3], ids[2]])
  t.same((await usage('?offset=9')).json().data, [])
  for (const query of ['?limit=0', '?limit=201', '?offset=-1', '?limit=many']) {
    const refused = await usage(query)
    t.equal(refused.statusCode, 400, query)
    t.equal(refused.json().code, 1004)
  }
  const balance = await h.app.inject({ url: '/v3/account/balance', headers: bearer() })
  t.same(balance.json(), { code: 0, status: 'success', data: { balance: 10000 - 20, frozen: 0 } })
})
