/**
 * A V3 capability: one creation endpoint of the V3 API (`POST /v3/generation/text-to-model`, ...),
 * the task type it creates, and how its body becomes that type's parameters.
 *
 * The domain speaks one vocabulary, V2's field names (V3's own server reads them too: reference
 * §3, X-skill §0). A capability turns a V3 body into it: `model` becomes `model_version`, a V3
 * `input` becomes a file reference, a source task or a model file, and V3's few rules of its own
 * (`model` required, its version lists, its concurrency pools, its file rules) ride on the
 * definition it hands the emulator. The V3 surface only routes and renders.
 */
import { type TObject, type TSchema, Type } from 'typebox'
import { ApiError } from '../errors.ts'
import type { TaskRequest } from '../emulator.ts'
import { FILE_TOKEN_PREFIX, V3_FILE_RULES } from '../files.ts'
import type { FileSlot, Params, TaskTypeDefinition } from '../task-types/definition.ts'
import type { FileRef } from '../task-types/schema-kit.ts'
import type { VersionPolicy } from '../task-types/versions.ts'

export type CapabilityGroup = 'generation' | 'models' | 'animations' | 'mesh'

export interface Capability {
  /** The operation id, e.g. `textToModel`. */
  readonly name: string
  /** The path under `/v3`, e.g. `/generation/text-to-model`. */
  readonly path: string
  readonly group: CapabilityGroup
  readonly summary: string
  /** The body in V3's names; unknown fields pass (the real server forwards them). Validation, types and OpenAPI. */
  readonly schema: TObject
  /** The task type it creates, with V3's rules where they differ from V2's. */
  readonly definition: TaskTypeDefinition
  /** The validated body (defaults applied) as the task type's parameters; throws ApiError (1004). */
  toParams (body: Params): Params
}

/** The request the emulator creates a task from: the parameters, and the body as the `input` echo. */
export function taskRequestOf (capability: Capability, body: Params): TaskRequest {
  return {
    definition: capability.definition,
    params: capability.toParams(body),
    echo: (params) => echoOf(capability, body, params),
    surface: 'v3',
    fileRules: V3_FILE_RULES
  }
}

/** Fields whose V3 form is not the parameter's (the inputs, the version's alias): the echo keeps them as sent. */
const SOURCE_FIELDS = new Set(['input', 'inputs', 'file', 'files', 'original_model_task_id', 'draft_model_task_id', 'original_task_id', 'model_version'])

/**
 * The `input` echo of a V3 task: the body as sent with the schema's defaults, plus the defaults
 * the rules chose (quad false on the H lines, a version's default model) under V3's names.
 */
function echoOf (capability: Capability, body: Params, params: Params): Params {
  const echo: Params = { ...body }
  for (const name of Object.keys(capability.schema.properties)) {
    if (echo[name] !== undefined || SOURCE_FIELDS.has(name)) continue
    const value = name === 'model' ? params['model_version'] : params[name]
    if (value !== undefined && typeof value !== 'object') echo[name] = value
  }
  return echo
}

// ---- inputs ----

/** What a V3 `input` names: a file (a URL, a file_token, an uploaded object) or a task. */
export type InputSource = { readonly file: FileRef } | { readonly taskId: string }

const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const FILE_FORMS = ['file_token', 'url', 'object'] as const

/**
 * Reads a V3 input (reference §3, X-skill §3.3). A string is a URL (`http(s)://`), a file token
 * (`file_...`), or a bare task UUID; `data:` URLs are refused. An object is `{task_id}`, or a file
 * reference `{file_token | url | object}` (with an optional `type`).
 */
export function readInput (value: unknown, field: string): InputSource {
  if (typeof value === 'string') {
    if (/^https?:\/\//i.test(value)) return { file: { url: value } }
    if (value.startsWith(FILE_TOKEN_PREFIX)) return { file: { file_token: value } }
    if (TASK_ID.test(value)) return { taskId: value }
    throw new ApiError('INVALID_PARAMETER', { detail: `${field}: ${value.startsWith('data:') ? 'data URLs are not accepted; upload the file' : 'not a URL, a file_token or a task id'}` })
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>
    if (typeof object['task_id'] === 'string') return { taskId: object['task_id'] }
    if (FILE_FORMS.some((form) => object[form] !== undefined)) return { file: object as FileRef }
  }
  throw new ApiError('INVALID_PARAMETER', { detail: `${field}: expected a URL, a file_token, a task id, or {file_token | url | object}` })
}

/** An image input: a file, or an image from a task's output. */
export function imageRef (source: InputSource): FileRef {
  return 'file' in source ? source.file : { task_id: source.taskId }
}

/** The first of these body fields that is present, with its name. */
export function firstOf (body: Params, fields: readonly string[]): { field: string, value: unknown } | undefined {
  for (const field of fields) if (body[field] !== undefined) return { field, value: body[field] }
  return undefined
}

/** The input named by the first present field, or 1004 naming them. */
export function requiredInput (body: Params, fields: readonly string[]): InputSource {
  const given = firstOf(body, fields)
  if (given === undefined) throw new ApiError('INVALID_PARAMETER', { detail: `${fields.join(' or ')} is required` })
  return readInput(given.value, given.field)
}

/**
 * The model a post-processing capability works on: a task (`original_model_task_id`, V2's field)
 * or a model file (`model_file`: a file_token or URL, which V2 never took).
 */
export function modelSource (body: Params, fields: readonly string[] = ['input', 'original_model_task_id']): Params {
  const source = requiredInput(body, fields)
  return 'taskId' in source ? { original_model_task_id: source.taskId } : { model_file: source.file }
}

/** A source that must be a task: `input` or the V2 field, and never a file. */
export function sourceTask (body: Params, fields: readonly string[]): string {
  const source = requiredInput(body, fields)
  if ('file' in source) throw new ApiError('INVALID_PARAMETER', { detail: `${fields[0] as string}: expected a task id` })
  return source.taskId
}

/** `model` (V3's name) or `model_version` (V2's, still read): the model version asked for. */
export function modelOf (body: Params): string | undefined {
  const model = body['model'] ?? body['model_version']
  return typeof model === 'string' ? model : undefined
}

/** The body without V3's own names, `model` becoming `model_version` (its policy's default when absent). */
export function withVersion (body: Params, versions: VersionPolicy | undefined, drop: readonly string[] = []): Params {
  const { model: _model, ...rest } = body
  for (const field of drop) delete rest[field]
  const version = modelOf(body) ?? versions?.default
  if (version !== undefined) rest['model_version'] = version
  return rest
}

/**
 * A post-processing type whose model may also come as a file (V3): its source rule applies to a
 * task only, and a model file is one more file slot.
 */
export function withModelInput (definition: TaskTypeDefinition): TaskTypeDefinition {
  // Every post-processing type names its source task.
  const sources = definition.sources as NonNullable<TaskTypeDefinition['sources']>
  const files = definition.files
  return {
    ...definition,
    sources: (params) => params['original_model_task_id'] === undefined ? [] : sources(params),
    files: (params: Params): FileSlot[] => [
      ...(params['model_file'] === undefined ? [] : [{ field: 'input', ref: params['model_file'] as FileRef, accepts: 'model' as const }]),
      ...files?.(params) ?? []
    ]
  }
}

// ---- schema pieces ----

/** A V3 input: a string (URL, file_token, task id) or a file reference object. */
export const Input = (description: string): TSchema => Type.Unsafe<string | Params>({
  type: ['string', 'object'],
  minLength: 1,
  description: `${description}: a URL, a file_token (file_...), a task id, or {file_token | url | object}`
})

/** `model`, and V2's name for it, which V3 still reads. */
export const modelFields = (description: string) => ({
  model: Type.Optional(Type.String({ minLength: 1, description })),
  model_version: Type.Optional(Type.String({ minLength: 1, description: 'V2\'s name for `model`, still accepted' }))
})
