/**
 * The event stream: over a real socket (requests, task changes by creation, clock and force,
 * clock jumps, resets and scenario switches, filters and one key), and the hub itself with its
 * timers in hand (batching, a slow client skipping, the pending bound, heartbeats, nothing left
 * behind).
 */
import t from 'tap'
import { keyIdOf } from '../../src/control/common.ts'
import { EventHub, type EventSink, FLUSH_MS, HEARTBEAT_MS, MAX_BACKLOG, MAX_PENDING_REQUESTS } from '../../src/control/events.ts'
import type { JournalEntry } from '../../src/domain/journal.ts'
import type { WatchTimers } from '../../src/domain/watch-schedule.ts'
import { control } from '../fixtures/control.ts'
import { openEventStream, type StreamEvent } from '../fixtures/event-stream.ts'
import { harness, KEY, OTHER_KEY, START } from '../fixtures/harness.ts'

const durations = { text_to_model: { queuedMs: 1000, runningMs: 10_000 } }

t.test('a script follows requests, tasks, the clock, resets and scenarios as they happen', async (t) => {
  const h = await harness(t, { durations })
  const url = await h.listen()
  const stream = await openEventStream(`${url}/__mock/events`)
  t.teardown(() => { stream.close() })
  t.equal(stream.response.statusCode, 200)
  t.match(stream.response.headers['content-type'], 'text/event-stream')
  t.type(stream.response.headers['x-tripo-trace-id'], 'string')
  const ready = await stream.next((event) => event.event === 'ready')
  t.same(ready.data, { topics: ['requests', 'tasks', 'clock', 'scenarios', 'resets'], clock: { mode: 'manual', speed: 1, now: new Date(START).toISOString(), nowMs: START } })

  const id = await h.newTask({ type: 'text_to_model', prompt: 'a cat' })
  const created = await stream.next((event) => event.event === 'task')
  t.match(created.data, { change: 'created', final: false, task: { taskId: id, status: 'queued', key: 'tsk_test…0001', keyId: keyIdOf(KEY) } })
  const request = await stream.next((event) => event.event === 'request')
  t.match(request.data, { operation: 'createTask', status: 200, key: 'tsk_test…0001', keyId: keyIdOf(KEY), surface: 'v2' })

  h.clock.advance(3000)
  const moved = await stream.next((event) => event.event === 'task' && event.data.change === 'moved')
  t.match(moved.data, { final: false, task: { taskId: id, status: 'running', progress: 20 } }, 'a jump over several steps: one event')
  t.match((await stream.next((event) => event.event === 'clock')).data, { now: new Date(START + 3000).toISOString() })

  await control(h)('POST', `/tasks/${id}/force`, { body: { status: 'failed', errorCode: 2008 } })
  const forced = await stream.next((event) => event.event === 'task' && event.data.change === 'forced')
  t.match(forced.data, { final: true, task: { status: 'failed', fate: { errorCode: 2008 } } })

  await control(h)('POST', '/scenarios/error-1001/activate', { key: KEY })
  t.same((await stream.next((event) => event.event === 'scenarios')).data, { change: 'activated', name: 'error-1001', key: 'tsk_test…0001', keyId: keyIdOf(KEY) })
  await control(h)('POST', '/scenarios/error-1001/deactivate')
  t.same((await stream.next((event) => event.event === 'scenarios' && event.data.change === 'deactivated')).data, { change: 'deactivated', name: 'error-1001' })
  await control(h)('POST', '/scenarios', { body: { name: 'adhoc', description: 'x', rules: [{ effect: { error: 'FATAL_ERROR' } }] } })
  await control(h)('DELETE', '/scenarios/adhoc')
  await control(h)('POST', '/scenarios/reload')
  await stream.next((event) => event.event === 'scenarios' && event.data.change === 'reloaded')
  t.same(stream.events.filter((event) => event.event === 'scenarios').map((event) => event.data.change), ['activated', 'deactivated', 'added', 'removed', 'reloaded'])

  await control(h)('POST', '/reset/tenant', { key: KEY })
  t.same((await stream.next((event) => event.event === 'reset')).data, { scope: 'tenant', key: 'tsk_test…0001', keyId: keyIdOf(KEY) })
  await control(h)('POST', '/reset')
  t.same((await stream.next((event) => event.event === 'reset' && event.data.scope === 'all')).data, { scope: 'all' })
  t.notOk(stream.events.some((event) => JSON.stringify(event.data).includes(KEY)), 'never a key in full')
})

t.test('topics, one key, and the journal\'s filters narrow the stream', async (t) => {
  const h = await harness(t, { durations })
  const url = await h.listen()
  // A key id names a key the emulator knows: this one has called once.
  await h.balance()
  const mine = await openEventStream(`${url}/__mock/events?topics=requests,resets&status=404`, { 'x-tripo-mock-key-id': keyIdOf(KEY) })
  const tasks = await openEventStream(`${url}/__mock/events?topics=tasks`, { 'x-tripo-mock-key': OTHER_KEY })
  t.teardown(() => { mine.close(); tasks.close() })
  await mine.next((event) => event.event === 'ready')
  await tasks.next((event) => event.event === 'ready')

  await h.newTask({ type: 'text_to_model', prompt: 'mine' })
  await h.getTask('missing')
  await h.getTask('missing', OTHER_KEY)
  const other = await h.newTask({ type: 'text_to_model', prompt: 'theirs' }, OTHER_KEY)
  const theirs = await tasks.next((event) => event.event === 'task')
  t.match(theirs.data, { task: { taskId: other } })
  await control(h)('POST', '/reset/tenant', { key: OTHER_KEY })
  await control(h)('POST', '/reset/tenant', { key: KEY })
  await mine.next((event) => event.event === 'reset')
  t.same(mine.events.map((event) => event.event), ['ready', 'request', 'reset'], 'only this key\'s 404 and reset')
  t.match(mine.events[1]?.data, { path: '/v2/openapi/task/missing', key: 'tsk_test…0001' })
  t.same(tasks.events.map((event) => event.event), ['ready', 'task'], 'no request, reset or other key\'s task')
})

t.test('refusals: an unknown topic, a bad filter, a key id no key has', async (t) => {
  const h = await harness(t)
  const call = control(h)
  t.match((await call('GET', '/events?topics=requests,weather')).json(), { code: 9400, detail: 'topics: "weather" is not one of requests, tasks, clock, scenarios, resets' })
  t.match((await call('GET', '/events?since=yesterday')).json(), { code: 9400, detail: /since/ })
  t.equal((await h.app.inject({ url: '/__mock/events', headers: { 'x-tripo-mock-key-id': 'nobody' } })).statusCode, 404)
})

t.test('closing the app ends every stream; a client that leaves is forgotten', async (t) => {
  const h = await harness(t)
  const url = await h.listen()
  const leaving = await openEventStream(`${url}/__mock/events`)
  const staying = await openEventStream(`${url}/__mock/events?topics=clock`)
  await leaving.next((event) => event.event === 'ready')
  await staying.next((event) => event.event === 'ready')
  t.equal(h.services.events.size, 2)
  const left = h.logLine((line) => line['msg'] === 'event stream closed')
  leaving.close()
  await left
  t.equal(h.services.events.size, 1)
  const ended = new Promise((resolve) => staying.response.on('end', resolve))
  await h.app.close()
  await ended
  t.equal(h.services.events.size, 0)
  t.equal(h.services.events.listening, false)
  t.same(h.services.watches.stats(), { watches: 0, tasks: 0, scheduled: 0, timerArmed: false, listening: false }, 'the task watch ended')
})

// ---- the hub, with its timers in hand ----

interface FakeTimer { readonly callback: () => void, readonly ms: number, cleared: boolean }

const fakeTimers = () => {
  const timers: FakeTimer[] = []
  const api: WatchTimers = {
    set: (callback, ms) => {
      const timer = { callback, ms, cleared: false }
      timers.push(timer)
      return timer
    },
    clear: (handle) => { if (handle !== undefined) (handle as FakeTimer).cleared = true }
  }
  /** Runs the armed timers of `ms`. */
  const fire = (ms: number): void => {
    for (const timer of timers.splice(0)) {
      if (timer.cleared) continue
      if (timer.ms === ms) timer.callback()
      else timers.push(timer)
    }
  }
  const armed = (ms: number): number => timers.filter((timer) => !timer.cleared && timer.ms === ms).length
  return { api, fire, armed }
}

const sink = (backlog = 0) => {
  const written: string[] = []
  const state = { backlog, ended: false }
  const events = (): StreamEvent[] => written.join('').split('\n\n').filter((block) => block.startsWith('event: ')).map((block) => {
    const [event, data] = block.split('\n')
    return { event: (event as string).slice('event: '.length), data: JSON.parse((data as string).slice('data: '.length)) }
  })
  const value: EventSink = { write: (text) => { written.push(text) }, backlog: () => state.backlog, end: () => { state.ended = true } }
  return { sink: value, written, state, events }
}

const entry = (n: number, key = KEY): JournalEntry => ({
  time: START + n, traceId: `trace-${n}`, key, operation: 'getTask', method: 'GET', path: `/v2/openapi/task/${n}`, status: 200, code: 0, injectedBy: null, latencyMs: 1, earlyRetry: false, surface: 'v2', url: `/v2/openapi/task/${n}`, requestHeaders: {}, responseHeaders: {}
})

t.test('the hub batches, coalesces a task\'s changes, and lets a slow client skip', async (t) => {
  const h = await harness(t, { durations })
  const timers = fakeTimers()
  const hub = new EventHub({ clock: h.clock, emulator: h.services.emulator, watches: h.services.watches, timers: timers.api })
  t.equal(hub.listening, false)
  hub.reset(undefined)
  hub.scenarios({ change: 'reloaded' })
  t.equal(timers.armed(FLUSH_MS), 0, 'nothing is kept while nobody listens')

  const fast = sink()
  const slow = sink()
  const subscription = hub.subscribe(fast.sink, { topics: ['requests', 'tasks', 'clock'] })
  hub.subscribe(slow.sink, { topics: ['requests'] })
  t.equal(hub.listening, true)
  t.same(fast.events().map((event) => event.event), ['ready'])

  hub.request(entry(1))
  const task = h.services.emulator.createTask(h.services.emulator.tenantOf(KEY), { type: 'text_to_model', prompt: 'x' })
  h.clock.advance(2000)
  h.clock.advance(500)
  t.equal(timers.armed(FLUSH_MS), 1, 'one flush armed for all of it')
  slow.state.backlog = MAX_BACKLOG + 1
  timers.fire(FLUSH_MS)
  t.same(fast.events().slice(1).map((event) => `${event.event} ${event.data.change ?? ''}`), ['clock ', 'task created', 'request '], 'created, then moved twice: one event, the strongest reason')
  t.match(fast.events()[2]?.data, { task: { taskId: task.id, status: 'running' } })
  t.same(slow.events().map((event) => event.event), ['ready'], 'the slow client got nothing')

  hub.request(entry(2))
  timers.fire(FLUSH_MS)
  t.same(slow.events().map((event) => event.event), ['ready'], 'still behind')
  slow.state.backlog = 0
  hub.request(entry(3))
  timers.fire(FLUSH_MS)
  t.same(slow.events().slice(1), [{ event: 'skipped', data: { events: 2 } }, { event: 'request', data: slow.events()[2]?.data }], 'told how many it missed, then the new ones')
  t.match(slow.events()[2]?.data, { traceId: 'trace-3' })

  // Forgotten before the flush: the reset says it.
  h.services.emulator.createTask(h.services.emulator.tenantOf(OTHER_KEY), { type: 'text_to_model', prompt: 'y' })
  h.services.emulator.reset(OTHER_KEY)
  const before = fast.written.length
  timers.fire(FLUSH_MS)
  t.equal(fast.written.length, before, 'nothing to say')

  t.equal(timers.armed(HEARTBEAT_MS), 1)
  timers.fire(HEARTBEAT_MS)
  t.equal(fast.written.at(-1), ': keep-alive\n\n')
  t.equal(timers.armed(HEARTBEAT_MS), 1, 're-armed')

  subscription.cancel()
  subscription.cancel()
  t.equal(hub.size, 1)
  hub.close()
  t.equal(slow.state.ended, true)
  t.equal(hub.listening, false)
  t.equal(timers.armed(HEARTBEAT_MS) + timers.armed(FLUSH_MS), 0, 'no timer left')
})

t.test('the hub keeps at most MAX_PENDING_REQUESTS between flushes; the rest count as skipped', async (t) => {
  const h = await harness(t)
  const timers = fakeTimers()
  const hub = new EventHub({ clock: h.clock, emulator: h.services.emulator, watches: h.services.watches, timers: timers.api })
  const client = sink()
  hub.subscribe(client.sink, { topics: ['requests'], key: KEY })
  for (let n = 0; n < MAX_PENDING_REQUESTS + 3; n++) hub.request(entry(n, n === 0 ? OTHER_KEY : KEY))
  timers.fire(FLUSH_MS)
  const events = client.events()
  t.same(events[1], { event: 'skipped', data: { events: 3 } })
  t.equal(events.length, 2 + MAX_PENDING_REQUESTS)
  t.equal(events.at(-1)?.data.traceId, `trace-${MAX_PENDING_REQUESTS + 2}`, 'the newest kept')
  hub.close()
})

t.test('the default timers are the process\'s own, and never hold it open', async (t) => {
  const h = await harness(t)
  // The flush timer is unref'd: a listening server keeps the process alive meanwhile.
  await h.listen()
  const hub = new EventHub({ clock: h.clock, emulator: h.services.emulator, watches: h.services.watches })
  const client = sink()
  hub.subscribe(client.sink, { topics: ['requests'] })
  hub.request(entry(1))
  await new Promise<void>((resolve) => {
    const original = client.sink.write
    client.sink.write = (text) => {
      original(text)
      resolve()
    }
  })
  t.match(client.events().at(-1), { event: 'request' })
  hub.close()
})

t.test('a HEAD on the stream answers the head and ends (a bug: it was held open forever)', async (t) => {
  const h = await harness(t)
  const url = await h.listen()
  const response = await fetch(`${url}/__mock/events`, { method: 'HEAD', signal: AbortSignal.timeout(5000) })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), 'text/event-stream')
  t.type(response.headers.get('x-tripo-trace-id'), 'string')
  t.equal(await response.text(), '')
})
