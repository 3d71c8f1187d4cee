/**
 * /__mock/tasks: tasks with fates and timelines (one key's or every key's, a page at a time), one
 * task, its outputs, and forcing tasks on.
 */
import t from 'tap'
import { keyIdOf } from '../../src/control/common.ts'
import { control } from '../fixtures/control.ts'
import { harness, KEY, OTHER_KEY, START } from '../fixtures/harness.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const durations = { text_to_model: { queuedMs: 2000, runningMs: 10_000 } }

t.test('a key\'s tasks, with their status now, fate and timeline in ISO', async (t) => {
  const h = await harness(t, { durations })
  const call = control(h)
  const first = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  h.clock.advance(4000)
  const second = await h.newTask({ type: 'text_to_model', prompt: 'a dog' })
  await h.newTask({ type: 'text_to_model', prompt: 'not mine' }, OTHER_KEY)

  const listed = await call('GET', '/tasks', { key: KEY })
  t.equal(listed.statusCode, 200)
  t.same(listed.json().tasks, [
    {
      taskId: first,
      key: 'tsk_test…0001',
      keyId: keyIdOf(KEY),
      type: 'text_to_model',
      status: 'running',
      progress: 20,
      fate: { status: 'success' },
      decidedBy: null,
      cost: 20,
      timeline: { queuedAt: iso(START), runningAt: iso(START + 2000), finalAt: iso(START + 12_000) }
    },
    {
      taskId: second,
      key: 'tsk_test…0001',
      keyId: keyIdOf(KEY),
      type: 'text_to_model',
      status: 'queued',
      progress: 0,
      fate: { status: 'success' },
      decidedBy: null,
      cost: 20,
      timeline: { queuedAt: iso(START + 4000), runningAt: iso(START + 6000), finalAt: iso(START + 16_000) }
    }
  ], 'oldest first, only this key\'s')
  t.equal(listed.json().next, null, 'one page')
  t.same((await call('GET', '/tasks', { key: 'tsk_never_seen_key' })).json(), { tasks: [], next: null }, 'a key without a tenant has none')
  const every = (await call('GET', '/tasks')).json()
  t.same(every.tasks.map((task: { key: string }) => task.key), ['tsk_test…0001', 'tsk_test…0001', 'tsk_test…0002'], 'without a key: every key\'s')
  const byId = await h.app.inject({ url: '/__mock/tasks', headers: { 'x-tripo-mock-key-id': keyIdOf(OTHER_KEY) } })
  t.same(byId.json().tasks.map((task: { key: string }) => task.key), ['tsk_test…0002'], 'a key named by its id')
  const unknown = await h.app.inject({ url: '/__mock/tasks', headers: { 'x-tripo-mock-key-id': 'f00' } })
  t.match(unknown, { statusCode: 404 })
  t.match(unknown.json(), { code: 9410, detail: /no key has the id f00/ })
})

t.test('pages: newest first, a status, a limit and the cursor', async (t) => {
  const h = await harness(t, { durations })
  const call = control(h)
  const ids: string[] = []
  for (let n = 0; n < 5; n++) {
    ids.push(await h.newTask({ type: 'text_to_model', prompt: `task ${n}` }, n === 2 ? OTHER_KEY : KEY))
    h.clock.advance(1000)
  }
  const page = async (query: string, key?: string) => (await call('GET', `/tasks?${query}`, key === undefined ? {} : { key })).json()
  const first = await page('order=newest&limit=2')
  t.same(first.tasks.map((task: { taskId: string }) => task.taskId), [ids[4], ids[3]])
  t.equal(first.next, ids[3])
  const second = await page(`order=newest&limit=2&after=${first.next}`)
  t.same(second.tasks.map((task: { taskId: string }) => task.taskId), [ids[2], ids[1]])
  const last = await page(`order=newest&limit=2&after=${second.next}`)
  t.same(last, { tasks: [last.tasks[0]], next: null })
  t.equal(last.tasks[0].taskId, ids[0])
  t.same((await page('order=newest&limit=1', KEY)).tasks.map((task: { taskId: string }) => task.taskId), [ids[4]], 'one key, newest first')
  t.same((await page('status=queued')).tasks.map((task: { taskId: string }) => task.taskId), [ids[4]], 'only queued tasks')
  t.same((await page('status=running&limit=1')).next, ids[0], 'a status and a limit')
  t.match((await page(`after=${ids[2]}`, KEY)), { code: 9400, detail: `after: task ${ids[2]} is not in this list (forgotten, or another key's)` })
  t.match((await page('limit=0')), { code: 9400 })
})

t.test('a fate decided by a scenario shows its rule; stalled instants are null', async (t) => {
  const h = await harness(t)
  const tenant = h.services.emulator.tenantOf(KEY)
  const stalled = h.services.emulator.createTask(tenant, { type: 'text_to_model', prompt: 'x' }, { fate: { status: 'expired', stall: 'queued' }, fateSource: 'stuck/queue' })
  const view = (await control(h)('GET', `/tasks/${stalled.id}`)).json()
  t.match(view, { status: 'queued', fate: { status: 'expired', stall: 'queued' }, decidedBy: 'stuck/queue', timeline: { runningAt: null, finalAt: null } })
  const failing = h.services.emulator.createTask(tenant, { type: 'text_to_model', prompt: 'y' }, { fate: { status: 'failed', atProgress: 60, errorCode: 1001 } })
  t.match((await control(h)('GET', `/tasks/${failing.id}`)).json().fate, { status: 'failed', atProgress: 60, errorCode: 1001 })
})

t.test('one task by id, whatever its key; an unknown id is 404/9410', async (t) => {
  const h = await harness(t)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' }, OTHER_KEY)
  t.match((await control(h)('GET', `/tasks/${id}`)).json(), { taskId: id, key: 'tsk_test…0002', status: 'queued' })
  const missing = await control(h)('GET', '/tasks/nope')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { code: 9410, message: 'The emulator has no such resource', suggestion: 'See the tripo-mock README', detail: 'no task nope' })
})

t.test('force: queued → running → success, one step per call; then it is final', async (t) => {
  const h = await harness(t, { durations })
  const call = control(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  const force = () => call('POST', `/tasks/${id}/force`)
  const running = await force()
  t.equal(running.statusCode, 200)
  t.match(running.json(), { status: 'running', timeline: { runningAt: iso(START), finalAt: iso(START + 10_000) } })
  t.equal((await h.getTask(id)).json().data.status, 'running', 'the API sees it')
  t.match((await force()).json(), { status: 'success', progress: 100, timeline: { finalAt: iso(START) } })
  t.equal((await h.getTask(id)).json().data.status, 'success')
  t.same(await h.balance(), { balance: 9980, frozen: 0 }, 'credits settled')
  const again = await force()
  t.equal(again.statusCode, 400)
  t.match(again.json(), { code: 9400, detail: `task ${id} is already final (success)` })
})

t.test('force to a given fate now, with an error code; a failure refunds', async (t) => {
  const h = await harness(t)
  const call = control(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  const failed = await call('POST', `/tasks/${id}/force`, { body: { status: 'failed', errorCode: 2008 } })
  t.match(failed.json(), { status: 'failed', fate: { status: 'failed', errorCode: 2008 } })
  t.match((await h.getTask(id)).json().data, { status: 'failed', error_code: 2008 })
  t.same(await h.balance(), { balance: 10000, frozen: 0 }, 'refunded')

  const other = await h.newTask({ type: 'text_to_model', prompt: 'a dog' })
  t.match((await call('POST', `/tasks/${other}/force`, { body: { status: 'banned' } })).json(), { status: 'banned', fate: { status: 'banned' } })
  t.match((await call('POST', `/tasks/${other}/force`, { body: { errorCode: 1 } })).json(), { code: 9400, detail: 'errorCode needs a status' })
  t.match((await call('POST', `/tasks/${other}/force`, { body: { status: 'exploded' } })).json(), { code: 9400 })
  t.equal((await call('POST', '/tasks/nope/force')).statusCode, 404)
})

t.test('a task\'s outputs: none until it succeeds, then signed URLs that download', async (t) => {
  const h = await harness(t, { durations })
  const call = control(h)
  const id = await h.newTask({ type: 'text_to_model', prompt: 'a lamp' })
  t.same((await call('GET', `/tasks/${id}/outputs`)).json(), { taskId: id, status: 'queued', outputs: [] })
  h.clock.advance(60_000)
  const { outputs, status } = (await call('GET', `/tasks/${id}/outputs`)).json() as { status: string, outputs: Array<{ name: string, url: string, path: string, format: string }> }
  t.equal(status, 'success')
  const model = outputs.find((output) => output.name === 'pbr_model')
  t.match(model, { format: 'glb', url: /^http:\/\/localhost:80\/files\// })
  t.equal(model?.url.endsWith(model.path), true, 'the path is the URL from the root')
  const download = await h.app.inject({ url: model?.path as string })
  t.equal(download.statusCode, 200, 'the path downloads')
  t.equal(download.rawPayload.subarray(0, 4).toString(), 'glTF')

  const multiview = await h.newTask({ type: 'generate_multiview_image', file: { url: 'https://x/y.png' } })
  h.clock.advance(60_000)
  const views = (await call('GET', `/tasks/${multiview}/outputs`)).json().outputs as Array<{ name: string }>
  t.ok(views.some((output) => output.name.startsWith('generate_multiview_image.')), 'views of a multiview are listed one by one')
  t.match((await call('GET', '/tasks/nope/outputs')).json(), { code: 9410 })
})
