/**
 * The watch schedule without HTTP: what it pushes on subscribing, on clock jumps, on created and
 * forced tasks and on resets; its one timer with the real clock; and that it leaves nothing behind.
 */
import t from 'tap'
import { createClock } from '../../src/domain/clock.ts'
import { Emulator } from '../../src/domain/emulator.ts'
import type { Fate } from '../../src/domain/lifecycle.ts'
import { type TaskRecord, taskState } from '../../src/domain/task.ts'
import { type WatchSink, type WatchTimers, WatchSchedule } from '../../src/domain/watch-schedule.ts'
import { manualTimers } from '../fixtures/manual-timers.ts'

/** text_to_image by default: queued 1000 ms, then 5000 ms running (a progress step every 250 ms). */
const setup = (options: { mode?: 'real' | 'manual', wallNow?: () => number, timers?: WatchTimers } = {}) => {
  const clock = createClock({ mode: options.mode ?? 'manual', start: 0, ...(options.wallNow === undefined ? {} : { wallNow: options.wallNow }) })
  let n = 0
  const emulator = new Emulator({ clock, newId: () => `task-${++n}` })
  const schedule = new WatchSchedule(clock, emulator, options.timers)
  const tenant = emulator.tenantOf('tsk_watcher')
  const image = (fate?: Fate, key = 'tsk_watcher'): TaskRecord =>
    emulator.createTask(emulator.tenantOf(key), { type: 'text_to_image', prompt: 'x' }, fate === undefined ? {} : { fate })
  return { clock, emulator, schedule, tenant, image }
}

interface Recorder {
  readonly sink: WatchSink
  /** `<task> <event> <status> <progress>` per push. */
  readonly pushed: string[]
  forgotten: number
}

const recorder = (onPush?: () => void): Recorder => {
  const recorded: Recorder = {
    pushed: [],
    forgotten: 0,
    sink: {
      push (task, event, now) {
        const state = taskState(task, now)
        recorded.pushed.push(`${task.id} ${event} ${state.status} ${state.progress}`)
        onPush?.()
      },
      forgotten () { recorded.forgotten += 1 }
    }
  }
  return recorded
}

const IDLE = { watches: 0, tasks: 0, scheduled: 0, timerArmed: false, listening: false }

t.test('a watched task: its state at once, then one push per visible change, up to finalized', async (t) => {
  const { clock, schedule, image } = setup()
  const task = image()
  const watcher = recorder()
  schedule.watchTask(task, watcher.sink)
  t.same(watcher.pushed, ['task-1 update queued 0'], 'the current state, synchronously')
  t.same(schedule.stats(), { watches: 1, tasks: 1, scheduled: 1, timerArmed: false, listening: true }, 'no timer with the manual clock')

  clock.advance(999)
  t.equal(watcher.pushed.length, 1, 'nothing visible changed')
  clock.advance(1)
  clock.advance(249)
  clock.advance(1)
  clock.advance(0)
  t.same(watcher.pushed.slice(1), ['task-1 update running 0', 'task-1 update running 5'], 'pushed before advance returns; one per change')

  clock.advance(1000)
  t.same(watcher.pushed.at(-1), 'task-1 update running 25', 'a jump over several steps pushes where the task is now, once')
  clock.advance(60_000)
  t.same(watcher.pushed.at(-1), 'task-1 finalized success 100')
  t.equal(watcher.pushed.length, 5)
  t.same(schedule.stats(), IDLE, 'the watch ended at finalized and left nothing behind')
  clock.advance(1000)
  t.equal(watcher.pushed.length, 5, 'nothing after finalized')
})

t.test('a task already final: finalized at once, and the watch never starts', async (t) => {
  const { clock, schedule, image } = setup()
  const task = image()
  clock.advance(10_000)
  const watcher = recorder()
  const watch = schedule.watchTask(task, watcher.sink)
  t.same(watcher.pushed, ['task-1 finalized success 100'])
  t.same(schedule.stats(), IDLE)
  watch.cancel()
  t.same(schedule.stats(), IDLE)
})

t.test('watchers of one task share one entry; the last to leave removes it', async (t) => {
  const { clock, schedule, image } = setup()
  const task = image()
  const first = recorder()
  const second = recorder()
  const one = schedule.watchTask(task, first.sink)
  clock.advance(1000)
  const two = schedule.watchTask(task, second.sink)
  t.same(schedule.stats(), { watches: 2, tasks: 1, scheduled: 1, timerArmed: false, listening: true })
  clock.advance(250)
  t.same(first.pushed, ['task-1 update queued 0', 'task-1 update running 0', 'task-1 update running 5'])
  t.same(second.pushed, ['task-1 update running 0', 'task-1 update running 5'])
  one.cancel()
  one.cancel()
  t.same(schedule.stats(), { watches: 1, tasks: 1, scheduled: 1, timerArmed: false, listening: true }, 'cancelling twice is harmless')
  clock.advance(250)
  t.equal(first.pushed.length, 3, 'a cancelled watch hears nothing more')
  t.equal(second.pushed.length, 3)
  two.cancel()
  t.same(schedule.stats(), IDLE)
})

t.test('watching every task of a key: the unfinished ones, new ones, and a since replay', async (t) => {
  const { clock, schedule, image, tenant } = setup()
  image() // task-1 finishes at 6000
  clock.advance(3000)
  image() // task-2 finishes at 9000
  clock.advance(4000)
  image({ status: 'success', stall: 'queued' }) // task-3 never leaves the queue
  image() // task-4 runs from 8000 to 13000
  image(undefined, 'tsk_someone_else') // task-5
  clock.advance(2500) // 9500

  const since = recorder()
  const sinceWatch = schedule.watchAll(tenant, since.sink, 6001)
  t.same(since.pushed, ['task-2 finalized success 100', 'task-3 update queued 0', 'task-4 update running 30'],
    'the tasks finished at or after since, then the unfinished ones; not another key\'s')
  const everything = recorder()
  const everythingWatch = schedule.watchAll(tenant, everything.sink, 6000)
  t.same(everything.pushed.slice(0, 2), ['task-1 finalized success 100', 'task-2 finalized success 100'], 'at or after, in the order they finished')
  const now = recorder()
  const nowWatch = schedule.watchAll(tenant, now.sink)
  t.same(now.pushed, ['task-3 update queued 0', 'task-4 update running 30'], 'without since: the unfinished tasks only')
  t.same(schedule.stats(), { watches: 3, tasks: 2, scheduled: 1, timerArmed: false, listening: true }, 'a stalled task is watched, not scheduled')

  image({ status: 'failed', atProgress: 50 }) // task-6: runs from 10500, fails at 13000
  image({ status: 'cancelled', afterMs: 0 }) // task-7: final at once
  image(undefined, 'tsk_someone_else')
  t.same(now.pushed.slice(2), ['task-6 update queued 0', 'task-7 finalized cancelled 100'], 'tasks created later, final at once or not')
  clock.advance(3500)
  t.same(now.pushed.slice(4), ['task-4 finalized success 100', 'task-6 finalized failed 100'], 'finalized frames; the watch goes on')
  t.same(since.pushed.slice(3), now.pushed.slice(2), 'every watch of the key hears the same')
  t.same(schedule.stats(), { watches: 3, tasks: 1, scheduled: 0, timerArmed: false, listening: true })
  sinceWatch.cancel()
  everythingWatch.cancel()
  t.same(schedule.stats(), { watches: 1, tasks: 1, scheduled: 0, timerArmed: false, listening: true })
  nowWatch.cancel()
  nowWatch.cancel()
  t.same(schedule.stats(), IDLE)
  image()
  t.equal(now.pushed.length, 6, 'a cancelled watch of a key hears nothing more')
})

t.test('forced tasks are pushed at once', async (t) => {
  const { emulator, schedule, image, tenant } = setup()
  const task = image({ status: 'success', stall: 'queued' })
  const one = recorder()
  const all = recorder()
  schedule.watchTask(task, one.sink)
  schedule.watchAll(tenant, all.sink)
  t.same(schedule.stats(), { watches: 2, tasks: 1, scheduled: 0, timerArmed: false, listening: true })
  emulator.forceTask(task)
  t.same(one.pushed, ['task-1 update queued 0', 'task-1 update running 0'])
  t.same(schedule.stats().scheduled, 1, 'scheduled once it moves')
  emulator.forceTask(task, { status: 'banned' })
  t.same(one.pushed.at(-1), 'task-1 finalized banned 100')
  t.same(all.pushed, one.pushed, 'both kinds of watch hear the same')
  t.same(schedule.stats(), { watches: 1, tasks: 0, scheduled: 0, timerArmed: false, listening: true }, 'the single watch ended; the key watch goes on')
})

t.test('a reset ends the watches of the forgotten key, and only those', async (t) => {
  const { clock, emulator, schedule, image, tenant } = setup()
  const mine = image()
  image({ status: 'cancelled', afterMs: 0 }) // final: no entry
  const theirs = image(undefined, 'tsk_someone_else')
  const one = recorder()
  const all = recorder()
  const other = recorder()
  const otherAll = recorder()
  schedule.watchTask(mine, one.sink)
  schedule.watchAll(tenant, all.sink)
  schedule.watchTask(theirs, other.sink)
  schedule.watchAll(emulator.tenantOf('tsk_someone_else'), otherAll.sink)
  emulator.reset('tsk_watcher')
  t.equal(one.forgotten, 1)
  t.equal(all.forgotten, 1, 'told once, though it watched the task too')
  t.equal(other.forgotten + otherAll.forgotten, 0)
  t.same(schedule.stats(), { watches: 2, tasks: 1, scheduled: 1, timerArmed: false, listening: true })
  clock.advance(1000)
  t.equal(one.pushed.length, 1, 'nothing after forgotten')
  t.equal(other.pushed.length, 2, 'the other key\'s watches go on')

  const late = recorder()
  schedule.watchTask(mine, late.sink)
  schedule.watchAll(tenant, late.sink)
  t.equal(late.forgotten, 2, 'watching what a reset forgot ends at once')
  t.same(late.pushed, [])
  emulator.reset()
  t.same(schedule.stats(), IDLE)
})

t.test('a sink may end its watch while being pushed to', async (t) => {
  const { clock, schedule, image } = setup()
  const task = image()
  let watch = { cancel () {} }
  const watcher = recorder(() => { if (watcher.pushed.length === 2) watch.cancel() })
  watch = schedule.watchTask(task, watcher.sink)
  clock.advance(1000)
  t.same(watcher.pushed, ['task-1 update queued 0', 'task-1 update running 0'])
  t.same(schedule.stats(), IDLE, 'not filed again')
})

t.test('close ends every watch without telling the sinks', async (t) => {
  const { schedule, image, tenant } = setup()
  const watcher = recorder()
  schedule.watchTask(image(), watcher.sink)
  schedule.watchAll(tenant, watcher.sink)
  schedule.close()
  t.same(schedule.stats(), IDLE)
  t.equal(watcher.forgotten, 0)
})

t.test('with the real clock, one timer for the earliest change, in wall time', async (t) => {
  let wall = 1_000_000
  const { timers, live, fire } = manualTimers()
  const { clock, schedule, image, tenant } = setup({ mode: 'real', wallNow: () => wall, timers })
  const first = image() // starts at 1000
  wall += 500
  const watcher = recorder()
  schedule.watchTask(first, watcher.sink)
  t.same(live().map((timer) => timer.ms), [500], 'armed for the start of the run')
  image()
  schedule.watchAll(tenant, watcher.sink)
  t.equal(live().length, 1, 'still one timer: the earliest change did not move')

  wall += 499
  fire()
  t.equal(watcher.pushed.filter((line) => line.includes('running')).length, 0, 'a timer that fires early pushes nothing')
  t.same(live().map((timer) => timer.ms), [1], 'and is armed again')
  wall += 1
  fire()
  t.same(watcher.pushed.slice(-2), ['task-1 update running 0', 'task-1 update running 0'], 'both watches hear it')
  t.same(live().map((timer) => timer.ms), [250], 'then the next step')

  clock.setSpeed(10)
  t.same(live().map((timer) => timer.ms), [25], 'a speed change re-arms in the new wall time')
  clock.setMode('manual')
  t.same(live(), [], 'no timer with the manual clock')
  clock.setMode('real')
  t.equal(live().length, 1)
  schedule.close()
  t.same(live(), [], 'the last watch takes the timer with it')
  t.same(schedule.stats(), IDLE)
})

t.test('an instant beyond setTimeout\'s range is reached in several timers', async (t) => {
  const { timers, live } = manualTimers()
  const { clock, schedule, image } = setup({ mode: 'real', wallNow: () => 0, timers })
  clock.setSpeed(1e-7)
  schedule.watchTask(image(), recorder().sink)
  t.same(live().map((timer) => timer.ms), [2 ** 31 - 1])
  schedule.close()
})

t.test('the default timers are armed and cleared (never waited for here)', async (t) => {
  const { schedule, image } = setup({ mode: 'real' })
  const watch = schedule.watchTask(image(), recorder().sink)
  t.equal(schedule.stats().timerArmed, true)
  watch.cancel()
  t.same(schedule.stats(), IDLE)
})

t.test('watching every key: tasks not yet final, new ones of any key, why they changed; a reset only unfollows', async (t) => {
  const { clock, schedule, emulator, image } = setup()
  const before = image()
  image({ status: 'success', afterMs: 0 })
  const changes: string[] = []
  const watch = schedule.watchEvery({
    push (task, event, now, change) { changes.push(`${task.id} ${event} ${taskState(task, now).status} ${change ?? 'clock'}`) },
    forgotten () { changes.push('forgotten') }
  })
  t.same(changes, [], 'nothing on subscribing')
  t.same(schedule.stats(), { watches: 1, tasks: 1, scheduled: 1, timerArmed: false, listening: true }, 'the unfinished task is followed')
  clock.advance(1000)
  const other = image(undefined, 'tsk_other')
  emulator.forceTask(other, { status: 'cancelled' })
  t.same(changes, [
    'task-1 update running clock',
    'task-3 update queued created',
    'task-3 finalized cancelled forced'
  ])
  image()
  emulator.reset('tsk_watcher')
  t.notOk(changes.includes('forgotten'), 'a reset does not end it')
  t.same(schedule.stats(), { watches: 1, tasks: 0, scheduled: 0, timerArmed: false, listening: true }, 'the forgotten tasks are unfollowed')
  t.equal(before.id, 'task-1')
  watch.cancel()
  t.same(schedule.stats(), IDLE)
})
