/**
 * The task lifecycle: queued → running (progress rising) → a final status.
 *
 * A task's fate (its final status and when it happens) is decided when it is created and turned
 * into two instants, `startAt` and `endAt`. Everything a client sees is computed from those
 * instants against the clock, so reads are O(1) and no timer runs per task.
 */

export const FINAL_STATUSES = ['success', 'failed', 'banned', 'expired', 'cancelled', 'unknown'] as const
export const TASK_STATUSES = ['queued', 'running', ...FINAL_STATUSES] as const

export type FinalStatus = typeof FINAL_STATUSES[number]
export type TaskStatus = typeof TASK_STATUSES[number]

export function isFinalStatus (status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status)
}

/** Progress moves in steps, so a watcher gets one update per step rather than per millisecond. */
export const PROGRESS_STEP = 5

export interface Fate {
  readonly status: FinalStatus
  /** `error_code` of the final task object (failed: 1001 unless told otherwise). */
  readonly errorCode?: number
  /** The progress at which the task stops running (e.g. fails at 60). */
  readonly atProgress?: number
  /** Or: how long after creation it reaches its final status (virtual ms). */
  readonly afterMs?: number
  /** Or: it never finishes, stuck in this status. */
  readonly stall?: 'queued' | 'running'
  /** Nominal queue and run durations of this task, instead of its type's (virtual ms). */
  readonly queuedMs?: number
  readonly runningMs?: number
}

export const SUCCESS: Fate = { status: 'success' }

/** Default `error_code` per non-success status, where one is natural (the seed's failed task: 1001). */
const DEFAULT_ERROR_CODES: Partial<Record<FinalStatus, number>> = { failed: 1001, banned: 2008, unknown: 1000 }

export function errorCodeOf (fate: Fate): number | undefined {
  return fate.errorCode ?? DEFAULT_ERROR_CODES[fate.status]
}

export interface Timeline {
  readonly createdAt: number
  /** Nominal durations: the queue, then a full run to 100%. */
  readonly queuedMs: number
  readonly runningMs: number
  /** When the task leaves the queue (Infinity: stalled in the queue). */
  startAt: number
  /** When it reaches its final status (Infinity: stalled). */
  endAt: number
}

/** Turns a fate into the instants of a timeline. */
export function planTimeline (createdAt: number, queuedMs: number, runningMs: number, fate: Fate): Timeline {
  let startAt = createdAt + queuedMs
  let endAt = startAt + runningMs
  if (fate.stall === 'queued') {
    startAt = Infinity
    endAt = Infinity
  } else if (fate.stall === 'running') {
    endAt = Infinity
  } else if (fate.afterMs !== undefined) {
    endAt = createdAt + fate.afterMs
    startAt = Math.min(startAt, endAt)
  } else if (fate.atProgress !== undefined) {
    endAt = startAt + Math.round(runningMs * clampProgress(fate.atProgress) / 100)
  } else if (fate.status === 'expired') {
    // "Expired" is a task that timed out in the queue (MIG): by default it never runs.
    endAt = startAt
  }
  return { createdAt, queuedMs, runningMs, startAt, endAt }
}

export interface TaskState {
  readonly status: TaskStatus
  readonly progress: number
  /** Position in the queue; -1 when not queued. */
  readonly queuingNum: number
  /** Estimated seconds left; -1 when final. */
  readonly runningLeftTime: number
}

/**
 * The state of a task at `now`. `queuePosition` is where the task entered the queue; it falls
 * to 0 as the task nears the head.
 */
export function stateAt (timeline: Timeline, fate: Fate, queuePosition: number, now: number): TaskState {
  if (now >= timeline.endAt) {
    return { status: fate.status, progress: 100, queuingNum: -1, runningLeftTime: -1 }
  }
  const nominalEnd = timeline.startAt + timeline.runningMs
  if (now < timeline.startAt) {
    const waited = timeline.startAt === Infinity ? 0 : (timeline.startAt - now) / timeline.queuedMs
    return {
      status: 'queued',
      progress: 0,
      queuingNum: Math.ceil(queuePosition * Math.min(1, waited)),
      runningLeftTime: leftSeconds(nominalEnd, now, timeline.runningMs)
    }
  }
  return {
    status: 'running',
    progress: progressAt(timeline, now),
    queuingNum: -1,
    runningLeftTime: leftSeconds(nominalEnd, now, timeline.runningMs)
  }
}

/** Running progress, in whole steps, never 100 before the final status. */
function progressAt (timeline: Timeline, now: number): number {
  if (timeline.runningMs <= 0) return 0
  const raw = 100 * (now - timeline.startAt) / timeline.runningMs
  return Math.min(100 - PROGRESS_STEP, Math.floor(raw / PROGRESS_STEP) * PROGRESS_STEP)
}

function leftSeconds (nominalEnd: number, now: number, runningMs: number): number {
  if (nominalEnd === Infinity) return Math.ceil(runningMs / 1000)
  return Math.max(0, Math.ceil((nominalEnd - now) / 1000))
}

/**
 * The next instant at which what a client sees changes (status or progress step), or undefined
 * when the task is final or stalled for good. Watchers schedule on it.
 */
export function nextChangeAt (timeline: Timeline, now: number): number | undefined {
  if (now >= timeline.endAt) return undefined
  if (now < timeline.startAt) return timeline.startAt === Infinity ? undefined : timeline.startAt
  const stepMs = timeline.runningMs * PROGRESS_STEP / 100
  if (stepMs <= 0) return timeline.endAt === Infinity ? undefined : timeline.endAt
  const nextStep = timeline.startAt + (Math.floor((now - timeline.startAt) / stepMs) + 1) * stepMs
  const stepsEnd = timeline.startAt + timeline.runningMs * (100 - PROGRESS_STEP) / 100
  const next = nextStep <= stepsEnd ? Math.ceil(nextStep) : timeline.endAt
  const candidate = Math.min(next, timeline.endAt)
  return candidate === Infinity ? undefined : candidate
}

function clampProgress (progress: number): number {
  return Math.max(0, Math.min(100, progress))
}
