/**
 * The domain façade without HTTP: fates and their credits, slots of stalled tasks, tenants.
 */
import t from 'tap'
import { createClock } from '../../src/domain/clock.ts'
import { Emulator } from '../../src/domain/emulator.ts'
import type { ApiError } from '../../src/domain/errors.ts'
import { taskState } from '../../src/domain/task.ts'
import { maskKey } from '../../src/domain/tenants.ts'

const setup = (settings = {}) => {
  const clock = createClock({ mode: 'manual', start: 0 })
  let n = 0
  const emulator = new Emulator({ clock, settings, newId: () => `task-${++n}` })
  return { clock, emulator, tenant: emulator.tenantOf('tsk_domain') }
}

const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn()
    return undefined
  } catch (error) {
    return (error as ApiError).entry.code
  }
}

t.test('a failed fate refunds its frozen credits; success keeps them', async (t) => {
  const { clock, emulator, tenant } = setup({ startingCredits: 100 })
  const failed = emulator.createTask(tenant, { type: 'text_to_model', prompt: 'a', texture: true, pbr: true, texture_quality: 'standard', model_version: 'v2.5-20250123' }, { fate: { status: 'failed', atProgress: 60 }, fateSource: 'fails-at-60/0' })
  t.equal(failed.id, 'task-1')
  t.equal(failed.fateSource, 'fails-at-60/0')
  t.same(emulator.balanceOf(tenant), { balance: 80, frozen: 20 })
  clock.advance(2000 + 6000)
  t.equal(taskState(failed, clock.now()).status, 'failed')
  t.same(emulator.balanceOf(tenant), { balance: 100, frozen: 0 }, 'refunded')
  t.same(emulator.balanceOf(tenant), { balance: 100, frozen: 0 }, 'settled once')

  for (const status of ['banned', 'expired', 'cancelled', 'unknown'] as const) {
    emulator.createTask(tenant, { type: 'text_to_image', prompt: 'x' }, { fate: { status } })
  }
  clock.advance(60_000)
  t.same(emulator.balanceOf(tenant), { balance: 100, frozen: 0 }, 'every non-success final status refunds')
})

t.test('stalled tasks hold their slot; Retry-After falls back to the configured value', async (t) => {
  const { emulator, tenant, clock } = setup({ stalledRetryAfter: 42, groupLimits: { multiview_generation: 1 } })
  emulator.createTask(tenant, { type: 'generate_multiview_image', file: { url: 'https://x' } }, { fate: { status: 'success', stall: 'running' } })
  clock.advance(3_600_000)
  try {
    emulator.createTask(tenant, { type: 'generate_multiview_image', file: { url: 'https://x' } })
    t.fail('should be refused')
  } catch (error) {
    t.equal((error as ApiError).entry.code, 2000)
    t.equal((error as ApiError).retryAfter, 42)
  }
})

t.test('a rescheduled task frees its slot at its new end, and is settled once', async (t) => {
  const { emulator, tenant, clock } = setup({ startingCredits: 100 })
  const task = emulator.createTask(tenant, { type: 'text_to_image', prompt: 'x' }, { fate: { status: 'success', stall: 'queued' } })
  t.equal(tenant.activeIn('other', clock.now()), 1)
  task.timeline.startAt = clock.now()
  task.timeline.endAt = clock.now() + 10
  tenant.rescheduled(task)
  t.equal(tenant.earliestEndIn('other'), clock.now() + 10, 'the stale Infinity entry is skipped')
  clock.advance(10)
  t.equal(tenant.activeIn('other', clock.now()), 0)
  t.same(emulator.balanceOf(tenant), { balance: 95, frozen: 0 })
  tenant.rescheduled(task)
  t.equal(tenant.earliestEndIn('other'), Infinity, 'a settled task is not filed again')
  t.equal(tenant.earliestEndIn('refine'), Infinity, 'an unused group')
})

t.test('tenants: tsk_ keys by default, an allow-list when configured', async (t) => {
  const { emulator } = setup()
  t.equal(emulator.tenantOf('tsk_a'), emulator.tenantOf('tsk_a'), 'one tenant per key')
  t.not(emulator.tenantOf('tsk_a'), emulator.tenantOf('tsk_b'))
  t.equal(codeOf(() => emulator.tenantOf('sk_a')), 1002)
  t.equal(codeOf(() => emulator.tenantOf('tsk_')), 1002)
  const listed = setup({ allowedKeys: ['k1', 'tsk_domain'] }).emulator
  t.ok(listed.tenantOf('k1'))
  t.equal(codeOf(() => listed.tenantOf('tsk_a')), 1002)
  t.equal(codeOf(() => emulator.getTask(emulator.tenantOf('tsk_a'), 'nope')), 2001)
  t.equal(codeOf(() => emulator.createTask(emulator.tenantOf('tsk_a'), { type: 'bogus' })), 2002)
})

t.test('prices read the parameters as given, defaults or not', async (t) => {
  const { emulator, tenant, clock } = setup()
  const model = emulator.createTask(tenant, { type: 'text_to_model', prompt: 'a', model_version: 'v2.5-20250123' })
  clock.advance(60_000)
  t.equal(emulator.createTask(tenant, { type: 'texture_model', original_model_task_id: model.id }).cost, 10, 'texture_quality left out: standard')
})

t.test('durations: type defaults, overridden per type', async (t) => {
  const { emulator } = setup({ durations: { text_to_model: { runningMs: 5 } } })
  const task = emulator.createTask(emulator.tenantOf('tsk_a'), { type: 'text_to_model', prompt: 'a', model_version: 'v2.5-20250123' })
  t.match(task.timeline, { queuedMs: 2000, runningMs: 5 })
})

t.test('keys are masked for logs', async (t) => {
  t.equal(maskKey('tsk_1234567890abcdef'), 'tsk_1234…cdef')
  t.equal(maskKey('tsk_short'), 'tsk_…')
})

t.test('forcing a task: next state, or a fate now; listeners hear it', async (t) => {
  const { emulator, tenant, clock } = setup({ startingCredits: 100 })
  const heard: string[] = []
  const stop = emulator.onTaskChange((task) => heard.push(`${task.id}:${taskState(task, clock.now()).status}`))
  const task = emulator.createTask(tenant, { type: 'text_to_image', prompt: 'x' })
  t.equal(taskState(task, clock.now()).status, 'queued')
  t.ok(emulator.forceTask(task))
  t.equal(taskState(task, clock.now()).status, 'running', 'queued → running')
  t.equal(task.timeline.endAt - task.timeline.startAt, 5000, 'keeps its run')
  t.ok(emulator.forceTask(task))
  t.equal(taskState(task, clock.now()).status, 'success', 'running → its fated status')
  t.notOk(emulator.forceTask(task), 'a final task does not move')
  t.same(emulator.balanceOf(tenant), { balance: 95, frozen: 0 })

  const doomed = emulator.createTask(tenant, { type: 'text_to_image', prompt: 'y' })
  t.ok(emulator.forceTask(doomed, { status: 'failed', errorCode: 2018 }))
  t.equal(taskState(doomed, clock.now()).status, 'failed')
  t.same(emulator.balanceOf(tenant), { balance: 95, frozen: 0 }, 'refunded at once')

  const stuck = emulator.createTask(tenant, { type: 'text_to_image', prompt: 'z' }, { fate: { status: 'success', stall: 'queued' } })
  emulator.forceTask(stuck)
  t.equal(stuck.timeline.endAt - clock.now(), 5000, 'a task stalled in the queue runs its nominal time once forced')
  stop()
  emulator.forceTask(stuck)
  t.same(heard, ['task-1:queued', 'task-1:running', 'task-1:success', 'task-2:queued', 'task-2:failed', 'task-3:queued', 'task-3:running'])
})

t.test('credits can be set; tasks are found by id; tenants reset alone or all together', async (t) => {
  const { emulator, tenant } = setup()
  t.same(emulator.setCredits(tenant, { balance: 7 }), { balance: 7, frozen: 0 })
  t.same(emulator.setCredits(tenant, { frozen: 3 }), { balance: 7, frozen: 3 })
  const task = emulator.createTask(tenant, { type: 'text_to_image', prompt: 'x' })
  const other = emulator.tenantOf('tsk_other')
  const theirs = emulator.createTask(other, { type: 'text_to_image', prompt: 'x' })
  t.equal(emulator.findTask(task.id), task)
  t.same(emulator.tenantKeys(), ['tsk_domain', 'tsk_other'])
  t.equal(emulator.existingTenant('tsk_other'), other)
  t.equal(emulator.existingTenant('tsk_nobody'), undefined)

  emulator.reset('tsk_domain')
  t.equal(emulator.findTask(task.id), undefined)
  t.equal(emulator.findTask(theirs.id), theirs, 'the other key is untouched')
  t.same(emulator.balanceOf(emulator.tenantOf('tsk_domain')), { balance: 10000, frozen: 0 }, 'a fresh tenant')
  emulator.reset('tsk_nobody')
  emulator.reset()
  t.same(emulator.tenantKeys(), [])
  t.equal(emulator.findTask(theirs.id), undefined)
})

t.test('retention: final tasks are forgotten by age, or by count when crowded; live tasks never', async (t) => {
  const { emulator, tenant, clock } = setup({ startingCredits: 1e6, taskTtlMs: 60_000, maxTasks: 3, taskMinKeepMs: 5_000, groupLimits: { other: 100 } })
  const make = (fate = {}) => emulator.createTask(tenant, { type: 'text_to_image', prompt: 'x' }, fate)
  const first = make() // final at 6 s (1 s queued, 5 s running)
  clock.advance(6_000)
  t.equal(taskState(first, clock.now()).status, 'success')
  clock.advance(59_999)
  make()
  t.equal(emulator.findTask(first.id), first, 'kept until taskTtl after its final status')
  clock.advance(1)
  make()
  t.equal(emulator.findTask(first.id), undefined, 'forgotten at taskTtl')
  t.equal(codeOf(() => emulator.getTask(tenant, first.id)), 2001, 'and answers 2001')

  // Crowded: the longest-final go first, but none final for less than taskMinKeep, and no live one.
  const { emulator: crowded, tenant: key, clock: time } = setup({ startingCredits: 1e6, taskTtlMs: 3_600_000, maxTasks: 2, taskMinKeepMs: 5_000, groupLimits: { other: 100 } })
  const stalled = crowded.createTask(key, { type: 'text_to_image', prompt: 'x' }, { fate: { status: 'success', stall: 'running' } })
  const early = crowded.createTask(key, { type: 'text_to_image', prompt: 'x' })
  time.advance(6_000)
  const late = crowded.createTask(key, { type: 'text_to_image', prompt: 'x' })
  t.equal(crowded.taskCount, 3, 'over the count, but the final one is too fresh to go')
  time.advance(5_000)
  const fourth = crowded.createTask(key, { type: 'text_to_image', prompt: 'x' })
  t.equal(crowded.findTask(early.id), undefined, 'the longest-final task goes first')
  t.equal(crowded.findTask(stalled.id), stalled, 'a running task is never forgotten')
  t.equal(crowded.findTask(late.id), late, 'still running: kept')
  t.equal(crowded.findTask(fourth.id), fourth)
  t.equal(crowded.taskCount, 3, 'the bound is soft while live tasks hold it')

  // A forced task is filed again under its new final instant.
  crowded.forceTask(stalled, { status: 'failed' })
  time.advance(5_000)
  crowded.createTask(key, { type: 'text_to_image', prompt: 'x' })
  t.equal(crowded.findTask(stalled.id), undefined, 'once forced final, it can go too')
  crowded.reset()
  t.equal(crowded.taskCount, 0)
})

t.test('tenant bounds: a few tenants looked at per new one; held ones stay; a request still holding a forgotten tenant', async (t) => {
  const { emulator } = setup({ maxTenants: 2 })
  for (const key of ['tsk_held_1', 'tsk_held_2', 'tsk_held_3', 'tsk_held_4', 'tsk_held_5']) emulator.createTask(emulator.tenantOf(key), { type: 'text_to_image', prompt: 'kept' })
  t.equal(emulator.existingTenant('tsk_domain'), undefined, 'crowded: the one that held nothing went')
  emulator.tenantOf('tsk_new')
  t.equal(emulator.tenantKeys().length, 6, 'the count bound is soft while held tenants fill it: each new tenant looks at four, and keeps them')

  const watched = emulator.tenantOf('tsk_watched')
  emulator.holdTenantsWhile((key) => key === watched.key)
  for (let i = 0; i < 12; i++) emulator.tenantOf(`tsk_passing_${i}`)
  t.equal(emulator.existingTenant(watched.key), watched, 'a held tenant (a watch) stays however crowded')
  t.equal(emulator.existingTenant('tsk_new'), undefined, 'one that held nothing went')

  // A request that waited (a scenario's latency) holds a tenant the bounds forgot meanwhile.
  const { emulator: bounded } = setup({ maxTenants: 1 })
  const waiting = bounded.tenantOf('tsk_waiting')
  bounded.setCredits(waiting, { balance: 50 })
  bounded.tenantOf('tsk_other')
  t.equal(bounded.existingTenant('tsk_waiting'), undefined, 'forgotten: it held nothing')
  const task = bounded.createTask(waiting, { type: 'text_to_image', prompt: 'late' })
  t.equal(bounded.existingTenant('tsk_waiting'), waiting, 'its task brings it back, credits and all')
  t.equal(bounded.getTask(waiting, task.id), task)
  t.same(bounded.balanceOf(waiting), { balance: 45, frozen: 5 })

  // After a reset the key starts afresh: what the request creates goes to a new tenant.
  const reset = bounded.tenantOf('tsk_reset')
  bounded.setCredits(reset, { balance: 3 })
  bounded.reset('tsk_reset')
  const fresh = bounded.createTask(reset, { type: 'text_to_image', prompt: 'after the reset' })
  const now = bounded.existingTenant('tsk_reset')
  t.not(now, reset, 'not the tenant the reset forgot')
  t.equal(now?.tasks.get(fresh.id), fresh)
  t.same(bounded.balanceOf(now as never), { balance: 9995, frozen: 5 })
})
