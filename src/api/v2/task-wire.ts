/**
 * The task object on the wire (`GET /task/{id}` data, reference §5) and the one mapper from the
 * emulator's task record to it. Field order follows the seed's example.
 */
import { Type, type Static } from 'typebox'
import { errorCodeOf, TASK_STATUSES, type TaskState } from '../../domain/lifecycle.ts'
import type { TaskRecord } from '../../domain/task.ts'
import { StringEnum } from '../../domain/task-types/schema-kit.ts'
import type { LinkFor } from '../links.ts'

const Url = Type.String({ description: 'Signed download URL; expires (5 minutes by default)' })

export const TaskOutputSchema = Type.Object({
  model: Type.Optional(Url),
  base_model: Type.Optional(Url),
  pbr_model: Type.Optional(Url),
  rendered_image: Type.Optional(Url),
  generated_image: Type.Optional(Url),
  riggable: Type.Optional(Type.Boolean()),
  rig_type: Type.Optional(Type.String()),
  generate_multiview_image: Type.Optional(Type.Object({
    front_view_url: Url,
    left_view_url: Url,
    back_view_url: Url,
    right_view_url: Url
  }))
}, { additionalProperties: true, description: 'Empty until success; keys depend on the task type' })

export const TaskSchema = Type.Object({
  task_id: Type.String({ description: 'UUID' }),
  type: Type.String(),
  status: StringEnum(TASK_STATUSES),
  input: Type.Object({}, { additionalProperties: true, description: 'The request parameters with the server defaults applied' }),
  output: TaskOutputSchema,
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  create_time: Type.Integer({ description: 'Unix seconds' }),
  error_code: Type.Optional(Type.Integer({ description: 'On failed, banned and unknown tasks' })),
  prompt: Type.Optional(Type.String({ description: 'Legacy top-level prompt' })),
  queuing_num: Type.Integer({ description: 'Position in the queue; -1 when not queued' }),
  running_left_time: Type.Integer({ description: 'Estimated seconds left; -1 when final' }),
  consumed_credit: Type.Number({ description: 'Credits charged; 0 when the task did not succeed' }),
  result: Type.Object({}, { additionalProperties: true, description: 'Legacy: model outputs as {type, url}' })
}, { title: 'Task' })

export type WireTask = Static<typeof TaskSchema>

const MODEL_KEYS = new Set(['model', 'base_model', 'pbr_model'])

/** The wire form of a task in `state` (its state now: `taskState(task, now)`). */
export function toWireTask (task: TaskRecord, state: TaskState, linkFor: LinkFor): WireTask {
  const final = state.status !== 'queued' && state.status !== 'running'
  const succeeded = state.status === 'success'
  const output: Record<string, unknown> = {}
  const result: Record<string, unknown> = {}
  if (succeeded) {
    for (const [key, value] of Object.entries(task.output)) {
      if ('value' in value) {
        output[key] = value.value
      } else if ('views' in value) {
        output[key] = Object.fromEntries(Object.entries(value.views).map(([view, asset]) => [view, linkFor(task, { asset })]))
      } else {
        const url = linkFor(task, value)
        output[key] = url
        if (MODEL_KEYS.has(key)) result[key] = { type: extensionOf(value), url }
      }
    }
  }
  const errorCode = final && !succeeded ? errorCodeOf(task.fate) : undefined
  return {
    task_id: task.id,
    type: task.type,
    status: state.status,
    input: task.input,
    output,
    progress: state.progress,
    create_time: Math.floor(task.timeline.createdAt / 1000),
    ...(errorCode === undefined ? {} : { error_code: errorCode }),
    ...(task.prompt === undefined ? {} : { prompt: task.prompt }),
    queuing_num: state.queuingNum,
    running_left_time: state.runningLeftTime,
    consumed_credit: final && !succeeded ? 0 : task.cost,
    result
  }
}

function extensionOf (value: { asset: string } | { ext: string }): string {
  if ('ext' in value) return value.ext
  return value.asset.slice(value.asset.lastIndexOf('.') + 1)
}
