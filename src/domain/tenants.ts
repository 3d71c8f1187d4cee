/**
 * Tenants: one per API key. A tenant owns its tasks, credits, concurrency slots and request-rate
 * windows, so two keys never see each other (another key's task answers 2001, like the real API).
 */
import { MinHeap } from './min-heap.ts'
import type { TaskRecord } from './task.ts'
import type { ConcurrencyGroup } from './task-types/index.ts'

/** Tasks of one concurrency group that hold a slot (queued or running), by when they finish. */
interface GroupSlots {
  active: number
  readonly byEnd: MinHeap<TaskRecord>
}

export interface RateWindow {
  /** When the window opened (emulator ms); it lasts RATE_WINDOW_MS. */
  start: number
  /** Requests counted in it so far. */
  count: number
}

export const RATE_WINDOW_MS = 1000

/** The longest API key accepted: Tripo's keys are short, and each key kept costs its length. */
export const MAX_KEY_LENGTH = 256

export class Tenant {
  readonly key: string
  /** The key as logs and the journal show it: never the whole key. */
  readonly label: string
  balance: number
  frozen = 0
  readonly tasks = new Map<string, TaskRecord>()
  private readonly slots = new Map<ConcurrencyGroup, GroupSlots>()
  private readonly windows = new Map<string, RateWindow>()

  /** When the key last made a request (emulator time): the tenant bounds forget idle tenants. */
  lastSeen: number
  /** Whether the key made a request since the tenant took its place in the emulator's order. */
  seenSinceFiled = false
  /** Forgotten by the tenant bounds (not by a reset): a request still holding it may bring it back. */
  evicted = false

  constructor (key: string, startingCredits: number, now = 0) {
    this.key = key
    this.label = maskKey(key)
    this.balance = startingCredits
    this.lastSeen = now
  }

  /**
   * Settles every task that reached its final status by `now`: frees its slot, and settles its
   * frozen credits (kept on success, refunded otherwise). Amortised O(log n) per task.
   */
  catchUp (now: number): void {
    for (const slots of this.slots.values()) {
      while ((slots.byEnd.peekKey() ?? Infinity) <= now) {
        const task = slots.byEnd.pop() as TaskRecord
        if (!task.settled && task.timeline.endAt <= now) this.settle(task, slots)
      }
    }
  }

  activeIn (group: ConcurrencyGroup, now: number): number {
    this.catchUp(now)
    return this.slots.get(group)?.active ?? 0
  }

  /** When the earliest task of the group finishes (Infinity when only stalled tasks hold slots). */
  earliestEndIn (group: ConcurrencyGroup): number {
    const heap = this.slots.get(group)?.byEnd
    if (heap === undefined) return Infinity
    // Entries of rescheduled tasks are stale; drop them as they surface.
    while (heap.size > 0) {
      const task = heap.peek() as TaskRecord
      if (!task.settled && task.timeline.endAt === heap.peekKey()) return task.timeline.endAt
      heap.pop()
    }
    return Infinity
  }

  /** Records a new task: freezes its cost and takes a slot in its group. */
  admit (task: TaskRecord): void {
    this.balance -= task.cost
    this.frozen += task.cost
    const slots = this.slotsOf(task.group)
    slots.active += 1
    slots.byEnd.push(task.timeline.endAt, task)
    this.tasks.set(task.id, task)
  }

  /**
   * Records a task of a snapshot: its credits are in the balance and frozen as the snapshot says;
   * an unsettled task takes its slot again.
   */
  restore (task: TaskRecord): void {
    if (!task.settled) {
      const slots = this.slotsOf(task.group)
      slots.active += 1
      slots.byEnd.push(task.timeline.endAt, task)
    }
    this.tasks.set(task.id, task)
  }

  /** After a task's timeline changed (forced by the control plane), re-file its slot. */
  rescheduled (task: TaskRecord): void {
    if (!task.settled) this.slotsOf(task.group).byEnd.push(task.timeline.endAt, task)
  }

  /**
   * Counts a request in a one-second window of `bucket`. Returns the virtual milliseconds to wait
   * when the limit is exceeded, or undefined when the request may pass.
   */
  hit (bucket: string, now: number, limit: number): number | undefined {
    let window = this.windows.get(bucket)
    if (window === undefined || now >= window.start + RATE_WINDOW_MS) {
      window = { start: now, count: 0 }
      this.windows.set(bucket, window)
    }
    window.count += 1
    return window.count > limit ? window.start + RATE_WINDOW_MS - now : undefined
  }

  /** The current window of `bucket`, after a `hit`. */
  windowOf (bucket: string): RateWindow {
    return this.windows.get(bucket) as RateWindow
  }

  private settle (task: TaskRecord, slots: GroupSlots): void {
    task.settled = true
    slots.active -= 1
    this.frozen -= task.cost
    if (task.fate.status !== 'success') this.balance += task.cost
  }

  private slotsOf (group: ConcurrencyGroup): GroupSlots {
    let slots = this.slots.get(group)
    if (slots === undefined) {
      slots = { active: 0, byEnd: new MinHeap() }
      this.slots.set(group, slots)
    }
    return slots
  }
}

/** `tsk_abcdef…wxyz`: enough to tell keys apart in a log, not enough to use one. */
export function maskKey (key: string): string {
  if (key.length <= 12) return `${key.slice(0, 4)}…`
  return `${key.slice(0, 8)}…${key.slice(-4)}`
}
