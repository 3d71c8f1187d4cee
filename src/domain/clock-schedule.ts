/**
 * Values filed by the instant they fall due on the emulator clock, with at most one timer: the
 * mechanism behind the watch schedule (a watched task's next visible change) and the webhook
 * outbox (a task's final instant, a delivery's next attempt). Nothing runs per value.
 *
 * Its owner says when to look: `catchUp()` after whatever moves time or values (a clock jump, a
 * created or forced task), which hands every due value to `due`, earliest first; then `arm()`.
 * With the real clock the one timer, armed for the earliest instant in wall time, catches up on
 * its own; with the manual clock nothing is armed and values fall due as the clock is advanced.
 */
import { type Clock, MAX_TIMER_MS } from './clock.ts'
import { IndexedMinHeap } from './indexed-min-heap.ts'

/** The one timer of the real clock; injectable so tests drive it without waiting. */
export interface ScheduleTimers {
  set (callback: () => void, ms: number): unknown
  clear (handle: unknown): void
}

export const NODE_SCHEDULE_TIMERS: ScheduleTimers = {
  // unref: an idle schedule must not keep the process alive.
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}

export class ClockSchedule<T> {
  private readonly clock: Clock
  private readonly due: (value: T, now: number) => void
  private readonly timers: ScheduleTimers
  private readonly heap = new IndexedMinHeap<T>()
  private timer: { handle: unknown, at: number } | undefined

  /**
   * `due` is called once per value whose instant has come, after the value left the schedule
   * (it may file it again, at a later instant). It must not throw: it runs inside clock jumps.
   */
  constructor (clock: Clock, due: (value: T, now: number) => void, timers: ScheduleTimers = NODE_SCHEDULE_TIMERS) {
    this.clock = clock
    this.due = due
    this.timers = timers
  }

  get size (): number {
    return this.heap.size
  }

  get timerArmed (): boolean {
    return this.timer !== undefined
  }

  /** Files the value at this instant, or moves it there. */
  set (value: T, at: number): void {
    this.heap.set(value, at)
  }

  delete (value: T): void {
    this.heap.delete(value)
  }

  /** Forgets every value and the timer. */
  clear (): void {
    this.heap.clear()
    this.disarm()
  }

  /** Hands every due value to `due`, earliest first; returns the instant it caught up to. */
  catchUp (): number {
    const now = this.clock.now()
    while ((this.heap.peekKey() ?? Infinity) <= now) {
      const value = this.heap.peek() as T
      this.heap.delete(value)
      this.due(value, now)
    }
    return now
  }

  /** Arms the timer for the earliest instant (real clock only), or disarms it when none is due. */
  arm (): void {
    const at = this.heap.peekKey()
    if (at === undefined || this.clock.state().mode === 'manual') {
      this.disarm()
      return
    }
    if (this.timer?.at === at) return
    this.disarm()
    const wait = Math.ceil(this.clock.wallDuration(at - this.clock.now()))
    this.timer = { handle: this.timers.set(this.onTimer, Math.min(MAX_TIMER_MS, Math.max(0, wait))), at }
  }

  /** After a clock jump: catches up, and times the timer afresh (a speed or mode change moves the wall time of the same instant). */
  jumped (): void {
    this.catchUp()
    this.disarm()
    this.arm()
  }

  disarm (): void {
    if (this.timer === undefined) return
    this.timers.clear(this.timer.handle)
    this.timer = undefined
  }

  private readonly onTimer = (): void => {
    this.timer = undefined
    this.catchUp()
    this.arm()
  }
}
