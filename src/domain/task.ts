/**
 * A task as the emulator keeps it. The wire shape (`GET /task/{id}`) is computed from it at read
 * time by the API layer.
 */
import { type Fate, type TaskState, stateAt, type Timeline } from './lifecycle.ts'
import type { ApiSurface } from './operations.ts'
import type { Delivery } from './scenarios/model.ts'
import type { ConcurrencyGroup, OutputTemplate, Params } from './task-types/index.ts'

export interface TaskRecord {
  readonly id: string
  /** The API key that created it: the only key that can see it. */
  readonly owner: string
  readonly type: string
  /** The surface that created it (either surface reads it, each in its own shape). */
  readonly surface: ApiSurface
  /** The parameters in the domain's vocabulary, defaults applied: what the rules and later tasks read. */
  readonly params: Params
  /** The `input` echo, as the creating surface shows it (for V2 tasks, `params` itself). */
  readonly input: Params
  /** The legacy top-level `prompt`, for prompt-taking types. */
  readonly prompt: string | undefined
  readonly timeline: Timeline
  fate: Fate
  readonly cost: number
  readonly group: ConcurrencyGroup
  /** Queue position when it was created. */
  readonly queuePosition: number
  /** What `output` holds once the task succeeds. */
  readonly output: OutputTemplate
  /** The scenario rule that decided its fate, if any. */
  readonly fateSource: string | undefined
  /** How its outputs are delivered, when a scenario decided it (URL lifetime, download faults). */
  readonly delivery: Delivery | undefined
  /** Credits and the concurrency slot have been settled (at the final status). */
  settled: boolean
}

export function taskState (task: TaskRecord, now: number): TaskState {
  return stateAt(task.timeline, task.fate, task.queuePosition, now)
}

export function isFinalAt (task: TaskRecord, now: number): boolean {
  return now >= task.timeline.endAt
}
