/**
 * The V3 task object (V3 reference §4) and the one mapper from the emulator's task record to it.
 * Any task renders here, whichever surface created it.
 *
 * - Five statuses: V2's `banned` is `failed` with 2008, `expired` is `failed` with 2018, `unknown`
 *   (a system failure) is `failed` with 1000, each unless the fate gave another code.
 * - `created_at` and `completed_at` (once final) in ISO 8601; `credits_consumed` a number (0
 *   unless the task succeeded); `error_code` and `error_message` on a failed task.
 * - Output keys with `_url`: the model under `model_url` (of V2's pbr_model, model, base_model, the
 *   first present, as the real API merges them), `rendered_image_url`, `generated_image_url`; the
 *   multiview views and values (riggable, rig_type) as they are.
 */
import { Type, type Static } from 'typebox'
import { errorCodeOf, type FinalStatus, type TaskState } from '../../domain/lifecycle.ts'
import { QUEUE_EXPIRED_CODE, taskFailureMessage } from '../../domain/errors.ts'
import type { TaskRecord } from '../../domain/task.ts'
import type { OutputValue } from '../../domain/task-types/index.ts'
import { StringEnum } from '../../domain/task-types/schema-kit.ts'
import type { LinkFor } from '../links.ts'

export const V3_STATUSES = ['queued', 'running', 'success', 'failed', 'cancelled'] as const
export type V3Status = typeof V3_STATUSES[number]

const Url = Type.String({ description: 'Signed download URL; expires (5 minutes by default)' })

export const V3TaskSchema = Type.Object({
  task_id: Type.String({ description: 'UUID' }),
  type: Type.String({ description: 'The task type, in V2\'s names (text_to_model, animate_rig, ...)' }),
  status: StringEnum(V3_STATUSES),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  input: Type.Object({}, { additionalProperties: true, description: 'The request as sent, with the server defaults applied' }),
  output: Type.Object({
    model_url: Type.Optional(Url),
    rendered_image_url: Type.Optional(Url),
    generated_image_url: Type.Optional(Url),
    splat_url: Type.Optional(Url),
    mask_url: Type.Optional(Url),
    seg_model_url: Type.Optional(Url),
    riggable: Type.Optional(Type.Boolean()),
    rig_type: Type.Optional(Type.String()),
    generate_multiview_image: Type.Optional(Type.Object({ front_view_url: Url, left_view_url: Url, back_view_url: Url, right_view_url: Url }))
  }, { additionalProperties: true, description: 'Empty until success; keys depend on the task type' }),
  credits_consumed: Type.Number({ description: 'Credits charged; 0 unless the task succeeded' }),
  created_at: Type.String({ format: 'date-time' }),
  completed_at: Type.Optional(Type.String({ format: 'date-time', description: 'Once the task is final' })),
  error_code: Type.Optional(Type.Integer({ description: 'On a failed task: 2008 moderation, 2018 expired in the queue, 1001 and others' })),
  error_message: Type.Optional(Type.String({ description: 'On a failed task' }))
}, { title: 'TaskV3' })

export type V3Task = Static<typeof V3TaskSchema>

/** The error code V3 shows for each non-success final status, unless the fate names one. */
const V3_FAILURE_CODES: Readonly<Partial<Record<FinalStatus, number>>> = { banned: 2008, expired: QUEUE_EXPIRED_CODE, unknown: 1000 }

/** A status as V3 shows it, and its error code when it failed. */
export function v3StatusOf (task: TaskRecord, state: TaskState): { status: V3Status, errorCode: number | undefined } {
  switch (state.status) {
    case 'queued': case 'running': case 'success': case 'cancelled':
      return { status: state.status, errorCode: undefined }
    case 'failed':
      return { status: 'failed', errorCode: errorCodeOf(task.fate) as number }
    default:
      return { status: 'failed', errorCode: task.fate.errorCode ?? V3_FAILURE_CODES[state.status] as number }
  }
}

/** V2's model keys, in the order V3 picks its one `model_url` from them. */
const MODEL_KEYS = ['pbr_model', 'model', 'base_model']

/** The wire form of a task in `state` (its state now: `taskState(task, now)`). */
export function toV3Task (task: TaskRecord, state: TaskState, linkFor: LinkFor): V3Task {
  const { status, errorCode } = v3StatusOf(task, state)
  const final = state.status !== 'queued' && state.status !== 'running'
  return {
    task_id: task.id,
    type: task.type,
    status,
    progress: state.progress,
    input: task.input,
    output: status === 'success' ? outputOf(task, linkFor) : {},
    credits_consumed: status === 'success' ? task.cost : 0,
    created_at: new Date(task.timeline.createdAt).toISOString(),
    ...(final ? { completed_at: new Date(task.timeline.endAt).toISOString() } : {}),
    ...(errorCode === undefined ? {} : { error_code: errorCode, error_message: taskFailureMessage(errorCode) })
  }
}

function outputOf (task: TaskRecord, linkFor: LinkFor): Record<string, unknown> {
  const output: Record<string, unknown> = {}
  const model = MODEL_KEYS.find((key) => task.output[key] !== undefined)
  for (const [key, value] of Object.entries(task.output) as Array<[string, OutputValue]>) {
    if ('value' in value) {
      output[key] = value.value
    } else if ('views' in value) {
      output[key] = Object.fromEntries(Object.entries(value.views).map(([view, asset]) => [view, linkFor(task, { asset })]))
    } else if (!MODEL_KEYS.includes(key)) {
      output[key.endsWith('_url') ? key : `${key}_url`] = linkFor(task, value)
    } else if (key === model) {
      output['model_url'] = linkFor(task, value)
    }
  }
  return output
}
