/**
 * The watch schedule: pushes the visible changes of watched tasks (the WebSocket watch endpoints)
 * without a timer per task or a polling loop per watcher.
 *
 * Every watched task has one entry, shared by all its watchers, filed in one clock schedule
 * (`clock-schedule.ts`) by the next instant its visible state changes (`nextChangeAt`: a status
 * or a progress step). Whatever moves time or tasks makes the schedule catch up: a clock jump
 * (`advance`, `set`, mode or speed; with the manual clock, the frames are pushed before `advance`
 * returns), a created or forced task, and, with the real clock, the one timer armed for the
 * earliest entry. Catching up pushes the state at that instant: a jump over several steps gives
 * one update, not one per step skipped.
 *
 * The schedule listens to the clock and the emulator, and holds a timer, only while something is
 * watched: when the last watch ends, nothing is left (no entries, listeners or timer).
 */
import type { Clock } from './clock.ts'
import { ClockSchedule, NODE_SCHEDULE_TIMERS, type ScheduleTimers } from './clock-schedule.ts'
import type { Emulator, TaskChange } from './emulator.ts'
import { isFinalStatus, nextChangeAt } from './lifecycle.ts'
import { isFinalAt, type TaskRecord, taskState } from './task.ts'
import type { Tenant } from './tenants.ts'

export type WatchEvent = 'update' | 'finalized'

/** Where a watch delivers. Sinks must not throw: they are called inside clock jumps. */
export interface WatchSink {
  /**
   * The task's state at `now`: once on subscribing, then at every visible change. `change` says
   * why when it was not the clock: the task was just created, or forced.
   */
  push (task: TaskRecord, event: WatchEvent, now: number, change?: TaskChange): void
  /** The watched task or key was forgotten (`reset`): the watch has ended, nothing more comes. */
  forgotten (): void
}

export interface Watch {
  /** Ends the watch (the client went away). Idempotent. */
  cancel (): void
}

/** The one timer of the real clock; injectable so tests drive it without waiting. */
export type WatchTimers = ScheduleTimers

export interface WatchScheduleStats {
  /** Open watches (single-task and all-task). */
  readonly watches: number
  /** Tasks with at least one watcher. */
  readonly tasks: number
  /** Tasks filed in the schedule (watched and not stalled for good). */
  readonly scheduled: number
  readonly timerArmed: boolean
  /** Whether it listens to the clock and the emulator. */
  readonly listening: boolean
}

/** The owner of a watch of every key's tasks. */
const EVERY = Symbol('every key')

interface Subscription {
  readonly sink: WatchSink
  /** For a watch of all tasks: the key it follows (EVERY: all keys); undefined for a watch of one task. */
  readonly owner: string | typeof EVERY | undefined
  readonly entries: Set<Entry>
}

interface Entry {
  readonly task: TaskRecord
  readonly watchers: Set<Subscription>
  /** The visible state last pushed (`status/progress`). */
  seen: string
}

const NO_WATCH: Watch = { cancel () {} }

export class WatchSchedule {
  private readonly emulator: Emulator
  private readonly subscriptions = new Set<Subscription>()
  /** Watches of all tasks, by key: new tasks of the key join them. */
  private readonly byOwner = new Map<string | typeof EVERY, Set<Subscription>>()
  private readonly entries = new Map<string, Entry>()
  /** Each entry at its next visible change; one timer with the real clock. */
  private readonly schedule: ClockSchedule<Entry>
  private readonly clock: Clock
  private unlisten: Array<() => void> = []

  constructor (clock: Clock, emulator: Emulator, timers: WatchTimers = NODE_SCHEDULE_TIMERS) {
    this.clock = clock
    this.emulator = emulator
    this.schedule = new ClockSchedule(clock, (entry, now) => { this.refresh(entry, now) }, timers)
    // A key watched as a whole is in use, whether or not it has tasks yet.
    emulator.holdTenantsWhile((key) => this.byOwner.has(key))
  }

  /**
   * Watches one task: its current state is pushed at once (`finalized` if it is already final,
   * which ends the watch), then every visible change up to `finalized`.
   */
  watchTask (task: TaskRecord, sink: WatchSink): Watch {
    if (this.emulator.findTask(task.id) !== task) {
      sink.forgotten()
      return NO_WATCH
    }
    const now = this.catchUp()
    if (isFinalAt(task, now)) {
      sink.push(task, 'finalized', now)
      return NO_WATCH
    }
    sink.push(task, 'update', now)
    const subscription: Subscription = { sink, owner: undefined, entries: new Set() }
    this.open(subscription)
    this.link(subscription, this.entryOf(task, now))
    this.schedule.arm()
    return { cancel: () => { this.end(subscription) } }
  }

  /**
   * Watches every task of a key, including tasks created later, until cancelled. On subscribing:
   * with `since`, the tasks that reached their final status at or after `since` (in that order,
   * as `finalized`); then the current state of every task not yet final (in creation order).
   */
  watchAll (tenant: Tenant, sink: WatchSink, since?: number): Watch {
    if (this.emulator.existingTenant(tenant.key) !== tenant) {
      sink.forgotten()
      return NO_WATCH
    }
    const now = this.catchUp()
    const finished: TaskRecord[] = []
    const running: TaskRecord[] = []
    for (const task of tenant.tasks.values()) {
      if (!isFinalAt(task, now)) running.push(task)
      else if (since !== undefined && task.timeline.endAt >= since) finished.push(task)
    }
    finished.sort((a, b) => a.timeline.endAt - b.timeline.endAt)
    for (const task of finished) sink.push(task, 'finalized', now)
    for (const task of running) sink.push(task, 'update', now)

    return this.follow(tenant.key, sink, running, now)
  }

  /**
   * Watches every task of every key from now on (the control plane's event stream): each visible
   * change of the tasks not yet final, and of every task created later. Nothing is pushed on
   * subscribing, and a reset forgets a key's tasks without ending the watch.
   */
  watchEvery (sink: WatchSink): Watch {
    const now = this.catchUp()
    const running: TaskRecord[] = []
    for (const task of this.emulator.tasks()) if (!isFinalAt(task, now)) running.push(task)
    return this.follow(EVERY, sink, running, now)
  }

  private follow (owner: string | typeof EVERY, sink: WatchSink, running: readonly TaskRecord[], now: number): Watch {
    const subscription: Subscription = { sink, owner, entries: new Set() }
    this.open(subscription)
    const followers = this.byOwner.get(owner) ?? new Set()
    followers.add(subscription)
    this.byOwner.set(owner, followers)
    for (const task of running) this.link(subscription, this.entryOf(task, now))
    this.schedule.arm()
    return { cancel: () => { this.end(subscription) } }
  }

  stats (): WatchScheduleStats {
    return {
      watches: this.subscriptions.size,
      tasks: this.entries.size,
      scheduled: this.schedule.size,
      timerArmed: this.schedule.timerArmed,
      listening: this.unlisten.length > 0
    }
  }

  /** Ends every watch without telling the sinks (the server is closing their sockets). */
  close (): void {
    for (const subscription of [...this.subscriptions]) this.end(subscription)
  }

  // --- what moves time or tasks ---------------------------------------------------------------

  private readonly onJump = (): void => {
    this.schedule.jumped()
  }

  private readonly onTaskChange = (task: TaskRecord, change: TaskChange): void => {
    const now = this.catchUp()
    const entry = this.entries.get(task.id)
    if (entry !== undefined) {
      this.refresh(entry, now, change)
    } else {
      // A task this schedule does not follow yet: a new task of a key watched as a whole, or of any key.
      const followers = [...this.byOwner.get(task.owner) ?? [], ...this.byOwner.get(EVERY) ?? []]
      if (followers.length === 0) return
      const final = isFinalAt(task, now)
      for (const subscription of followers) subscription.sink.push(task, final ? 'finalized' : 'update', now, change)
      if (!final) {
        const created = this.entryOf(task, now)
        for (const subscription of followers) this.link(subscription, created)
      }
    }
    this.schedule.arm()
  }

  private readonly onTenantForgotten = (tenant: Tenant): void => {
    const ended = new Set<Subscription>(this.byOwner.get(tenant.key))
    for (const id of tenant.tasks.keys()) {
      const entry = this.entries.get(id)
      for (const subscription of [...entry?.watchers ?? []]) {
        // A watch of every key outlives one key's reset: it only stops following its tasks.
        if (subscription.owner === EVERY) this.unlink(subscription, entry as Entry)
        else ended.add(subscription)
      }
    }
    for (const subscription of ended) {
      this.end(subscription)
      subscription.sink.forgotten()
    }
  }

  // --- the schedule -----------------------------------------------------------------------------

  /** Pushes every entry whose next change is due; returns the instant it caught up to. */
  private catchUp (): number {
    return this.schedule.catchUp()
  }

  /**
   * Pushes the entry's state to its watchers if it changed, then files the entry at its next
   * change, or drops it when final (its single-task watches end there).
   */
  private refresh (entry: Entry, now: number, change?: TaskChange): void {
    const state = taskState(entry.task, now)
    const seen = `${state.status}/${state.progress}`
    const final = isFinalStatus(state.status)
    if (seen !== entry.seen) {
      entry.seen = seen
      for (const subscription of [...entry.watchers]) subscription.sink.push(entry.task, final ? 'finalized' : 'update', now, change)
    }
    if (final) {
      for (const subscription of [...entry.watchers]) {
        if (subscription.owner === undefined) this.end(subscription)
        else this.unlink(subscription, entry)
      }
      return
    }
    // A sink may have ended its watch while being pushed to.
    if (this.entries.get(entry.task.id) === entry) this.file(entry, now)
  }

  private entryOf (task: TaskRecord, now: number): Entry {
    const known = this.entries.get(task.id)
    if (known !== undefined) return known
    const state = taskState(task, now)
    const entry: Entry = { task, watchers: new Set(), seen: `${state.status}/${state.progress}` }
    this.entries.set(task.id, entry)
    this.file(entry, now)
    return entry
  }

  private file (entry: Entry, now: number): void {
    const next = nextChangeAt(entry.task.timeline, now)
    if (next === undefined) this.schedule.delete(entry)
    else this.schedule.set(entry, next)
  }

  private link (subscription: Subscription, entry: Entry): void {
    entry.watchers.add(subscription)
    subscription.entries.add(entry)
  }

  private unlink (subscription: Subscription, entry: Entry): void {
    subscription.entries.delete(entry)
    entry.watchers.delete(subscription)
    if (entry.watchers.size === 0) {
      this.entries.delete(entry.task.id)
      this.schedule.delete(entry)
    }
  }

  private open (subscription: Subscription): void {
    this.subscriptions.add(subscription)
    if (this.unlisten.length > 0) return
    this.unlisten = [
      this.clock.onJump(this.onJump),
      this.emulator.onTaskChange(this.onTaskChange),
      this.emulator.onTenantForgotten(this.onTenantForgotten)
    ]
  }

  private end (subscription: Subscription): void {
    if (!this.subscriptions.delete(subscription)) return
    for (const entry of [...subscription.entries]) this.unlink(subscription, entry)
    if (subscription.owner !== undefined) {
      const followers = this.byOwner.get(subscription.owner) as Set<Subscription>
      followers.delete(subscription)
      if (followers.size === 0) this.byOwner.delete(subscription.owner)
    }
    if (this.subscriptions.size > 0) return
    for (const stop of this.unlisten) stop()
    this.unlisten = []
    this.schedule.disarm()
  }
}
