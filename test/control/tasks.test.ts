/**
 * /__mock/tasks: a key's tasks with fates and timelines, one task, and forcing tasks on.
 */
import t from 'tap'
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
      type: 'text_to_model',
      status: 'queued',
      progress: 0,
      fate: { status: 'success' },
      decidedBy: null,
      cost: 20,
      timeline: { queuedAt: iso(START + 4000), runningAt: iso(START + 6000), finalAt: iso(START + 16_000) }
    }
  ], 'oldest first, only this key\'s')
  t.same((await call('GET', '/tasks', { key: 'tsk_never_seen_key' })).json(), { tasks: [] }, 'a key without a tenant has none')
  t.match((await call('GET', '/tasks')).json(), { code: 9400, detail: /x-tripo-mock-key/ }, 'the key is required')
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
