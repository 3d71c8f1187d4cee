/**
 * The live event stream behind `GET /__mock/events` (Server-Sent Events): requests (journal
 * entries), task changes, clock jumps, resets and scenario switches, for the dashboard and for
 * scripts.
 *
 * Nothing runs while nobody listens: the recorder reads `listening` (one property) before it hands
 * an entry over, and the hub follows the clock and the tasks only while a subscriber wants them.
 * With subscribers, publishing keeps a reference; a flush, at most every FLUSH_MS of wall time,
 * renders each event once (a task's changes since the last flush as its latest state) and gives
 * each subscriber its share in one write. Bounded everywhere: pending requests per flush, and per
 * subscriber the bytes its socket has not taken yet (beyond MAX_BACKLOG it skips events, counted,
 * and a `skipped` event tells it how many once it catches up), so a slow client never makes the
 * emulator buffer without bound, and never slows the API.
 */
import type { Clock } from '../domain/clock.ts'
import type { Emulator, TaskChange } from '../domain/emulator.ts'
import { type JournalEntry, type JournalFilter, matches } from '../domain/journal.ts'
import { isFinalStatus } from '../domain/lifecycle.ts'
import type { TaskRecord } from '../domain/task.ts'
import { maskKey } from '../domain/tenants.ts'
import type { Watch, WatchSchedule, WatchTimers } from '../domain/watch-schedule.ts'
import { clockView, journalEntryView, taskView } from './actions.ts'
import { keyIdOf } from './common.ts'

export const EVENT_TOPICS = ['requests', 'tasks', 'clock', 'scenarios', 'resets'] as const
export type EventTopic = typeof EVENT_TOPICS[number]

/** Wall milliseconds between flushes: events reach subscribers this late at most. */
export const FLUSH_MS = 50
/** Bytes a subscriber's socket may hold unsent before its events are skipped. */
export const MAX_BACKLOG = 1024 * 1024
/** Requests kept for the next flush; beyond, the oldest are skipped. */
export const MAX_PENDING_REQUESTS = 5000
/** Wall milliseconds between comments that keep an idle stream open through proxies. */
export const HEARTBEAT_MS = 15_000

/** Where a subscriber's events go (the HTTP response, in the route). */
export interface EventSink {
  write (text: string): void
  /** Bytes written but not yet taken by the client. */
  backlog (): number
  end (): void
}

export interface Subscription {
  /** Stops the events (the client left). Idempotent. */
  cancel (): void
}

export interface SubscribeOptions {
  readonly topics: readonly EventTopic[]
  /** Only this key's requests, tasks and resets (the full key). */
  readonly key?: string | undefined
  /** Which requests (the journal's filters; its `key` is ignored: see `key`). */
  readonly requests?: JournalFilter
}

/** What a scenario switch or an ad-hoc change did, as the `scenarios` event tells it. */
export interface ScenarioChange {
  readonly change: 'activated' | 'deactivated' | 'added' | 'removed' | 'reloaded'
  readonly name?: string
  /** Bound to or unbound from one key (the full key; shown masked). */
  readonly key?: string | undefined
}

interface Subscriber {
  readonly sink: EventSink
  readonly topics: ReadonlySet<EventTopic>
  readonly key: string | undefined
  readonly requests: JournalFilter
  skipped: number
}

/** Why a task is in the next flush; the strongest reason of the flush wins. */
type PendingChange = TaskChange | 'moved'
const STRENGTH: Record<PendingChange, number> = { moved: 0, forced: 1, created: 2 }

interface Notice {
  readonly topic: 'scenarios' | 'resets'
  readonly key: string | undefined
  readonly text: string
}

const nodeTimers: WatchTimers = {
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}

export const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

export interface EventHubDeps {
  readonly clock: Clock
  readonly emulator: Emulator
  readonly watches: WatchSchedule
  readonly timers?: WatchTimers
}

export class EventHub {
  /** Whether anyone listens: publishers check this before anything else. */
  listening = false
  private readonly clock: Clock
  private readonly emulator: Emulator
  private readonly watches: WatchSchedule
  private readonly timers: WatchTimers
  private readonly subscribers = new Set<Subscriber>()
  private requests: JournalEntry[] = []
  /** Requests dropped from a full pending list since the last flush. */
  private overflow = 0
  private tasks = new Map<TaskRecord, PendingChange>()
  private clockMoved = false
  private notices: Notice[] = []
  private flushTimer: unknown
  private heartbeatTimer: unknown
  private taskWatch: Watch | undefined
  private stopClock: (() => void) | undefined

  constructor (deps: EventHubDeps) {
    this.clock = deps.clock
    this.emulator = deps.emulator
    this.watches = deps.watches
    this.timers = deps.timers ?? nodeTimers
  }

  /** Starts a subscriber's events; the `ready` event (with the clock) goes out at once. */
  subscribe (sink: EventSink, options: SubscribeOptions): Subscription {
    const subscriber: Subscriber = { sink, topics: new Set(options.topics), key: options.key, requests: { ...options.requests, key: options.key }, skipped: 0 }
    this.subscribers.add(subscriber)
    this.listening = true
    this.follow()
    sink.write(`retry: 2000\n\n${sse('ready', { topics: [...subscriber.topics], clock: clockView(this.clock) })}`)
    this.heartbeatTimer ??= this.timers.set(this.heartbeat, HEARTBEAT_MS)
    return { cancel: () => { this.leave(subscriber) } }
  }

  /** How many subscribers there are (metrics, tests). */
  get size (): number {
    return this.subscribers.size
  }

  /** A request was answered (the recorder calls this only while `listening`). */
  request (entry: JournalEntry): void {
    if (this.requests.length >= MAX_PENDING_REQUESTS) {
      this.requests.shift()
      this.overflow += 1
    }
    this.requests.push(entry)
    this.schedule()
  }

  reset (key: string | undefined): void {
    if (!this.listening) return
    this.notices.push({ topic: 'resets', key, text: sse('reset', key === undefined ? { scope: 'all' } : { scope: 'tenant', ...shownKey(key) }) })
    this.schedule()
  }

  scenarios (change: ScenarioChange): void {
    if (!this.listening) return
    const { key, ...rest } = change
    this.notices.push({ topic: 'scenarios', key, text: sse('scenarios', key === undefined ? rest : { ...rest, ...shownKey(key) }) })
    this.schedule()
  }

  /** Ends every stream (the app is closing). */
  close (): void {
    for (const subscriber of [...this.subscribers]) {
      this.leave(subscriber)
      subscriber.sink.end()
    }
  }

  private leave (subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return
    this.follow()
    if (this.subscribers.size > 0) return
    this.listening = false
    this.timers.clear(this.heartbeatTimer)
    this.heartbeatTimer = undefined
    this.timers.clear(this.flushTimer)
    this.flushTimer = undefined
    this.requests = []
    this.overflow = 0
    this.tasks.clear()
    this.clockMoved = false
    this.notices = []
  }

  /** Follows the tasks and the clock while some subscriber wants them, and only then. */
  private follow (): void {
    const wants = (topic: EventTopic): boolean => [...this.subscribers].some((subscriber) => subscriber.topics.has(topic))
    if (wants('tasks')) {
      this.taskWatch ??= this.watches.watchEvery({
        push: (task, _event, _now, change) => { this.taskChanged(task, change ?? 'moved') },
        // A watch of every key is never forgotten by a reset (the `reset` event says it).
        /* c8 ignore next */
        forgotten: () => {}
      })
    } else {
      this.taskWatch?.cancel()
      this.taskWatch = undefined
    }
    if (wants('clock')) {
      this.stopClock ??= this.clock.onJump(() => {
        this.clockMoved = true
        this.schedule()
      })
    } else {
      this.stopClock?.()
      this.stopClock = undefined
    }
  }

  private taskChanged (task: TaskRecord, change: PendingChange): void {
    const pending = this.tasks.get(task)
    if (pending === undefined || STRENGTH[change] > STRENGTH[pending]) this.tasks.set(task, change)
    this.schedule()
  }

  private schedule (): void {
    this.flushTimer ??= this.timers.set(this.flush, FLUSH_MS)
  }

  private readonly heartbeat = (): void => {
    for (const subscriber of this.subscribers) subscriber.sink.write(': keep-alive\n\n')
    this.heartbeatTimer = this.timers.set(this.heartbeat, HEARTBEAT_MS)
  }

  /** Renders what is pending, once per event, and writes each subscriber its share. */
  private readonly flush = (): void => {
    this.flushTimer = undefined
    const now = this.clock.now()
    const requests = this.requests.map((entry) => ({ entry, text: undefined as string | undefined }))
    const tasks: Array<{ readonly owner: string, readonly text: string }> = []
    for (const [task, change] of this.tasks) {
      // A task forgotten by a reset since it changed: the reset event tells it.
      if (this.emulator.findTask(task.id) !== task) continue
      const view = taskView(task, now)
      tasks.push({ owner: task.owner, text: sse('task', { change, final: isFinalStatus(view.status), task: view }) })
    }
    const clock = this.clockMoved ? sse('clock', clockView(this.clock)) : ''
    const { notices, overflow } = this
    this.requests = []
    this.overflow = 0
    this.tasks = new Map()
    this.clockMoved = false
    this.notices = []

    for (const subscriber of this.subscribers) {
      const { topics, key } = subscriber
      let text = ''
      let count = 0
      const add = (chunk: string): void => {
        text += chunk
        count += 1
      }
      if (topics.has('clock') && clock !== '') add(clock)
      for (const notice of notices) if (topics.has(notice.topic) && (key === undefined || notice.key === undefined || notice.key === key)) add(notice.text)
      if (topics.has('tasks')) for (const task of tasks) if (key === undefined || task.owner === key) add(task.text)
      if (topics.has('requests')) {
        subscriber.skipped += overflow
        for (const pending of requests) {
          if (!matches(pending.entry, subscriber.requests)) continue
          pending.text ??= sse('request', journalEntryView(pending.entry))
          add(pending.text)
        }
      }
      if (count === 0 && subscriber.skipped === 0) continue
      if (subscriber.sink.backlog() > MAX_BACKLOG) {
        subscriber.skipped += count
        continue
      }
      const skipped = subscriber.skipped === 0 ? '' : sse('skipped', { events: subscriber.skipped })
      subscriber.skipped = 0
      subscriber.sink.write(skipped + text)
    }
  }
}

function shownKey (key: string): { key: string, keyId: string } {
  return { key: maskKey(key), keyId: keyIdOf(key) }
}
