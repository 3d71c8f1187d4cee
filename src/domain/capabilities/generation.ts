/**
 * V3's 3D generation endpoints (V3 reference §3.1): text-to-model, image-to-model,
 * multiview-to-model and image-to-splat.
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import type { FileSlot, Params, TaskTypeDefinition } from '../task-types/definition.ts'
import { imageToModel as v2ImageToModel, multiviewToModel as v2MultiviewToModel, textToModel as v2TextToModel } from '../task-types/model-generation.ts'
import { commonParameters, type FileRef, Prompt, Seed, StringEnum } from '../task-types/schema-kit.ts'
import { imageToSplat as splatType } from '../task-types/v3-only.ts'
import { GENERATION_VERSIONS as V, generationLine, type VersionPolicy } from '../task-types/versions.ts'
import { type Capability, firstOf, imageRef, Input, modelFields, modelOf, readInput, requiredInput, withVersion } from './capability.ts'

/**
 * V3's model list (reference §3.1, X-skill §3.1): no default, `model` is required. Versions V2
 * still took are refused as deprecated (2015); anything else is invalid (2017).
 */
export const V3_GENERATION_VERSIONS: VersionPolicy = {
  accepted: [V.P1, V.P2, V.V3_1, V.V3_0, V.V2_5],
  deprecated: [V.V2_0, V.TURBO, V.V1_4, V.V1_3]
}

/** V3's concurrency pools for 3D generation: the P series has its own (V3 reference §6). */
const generationPool = (params: Params) => {
  const line = generationLine(String(params['model_version']))
  return line === 'P1' || line === 'P2' ? 'p_series' as const : 'h_series' as const
}

/** The generation options every to-model endpoint takes (reference §3.1), in V3's names. */
const generationOptions = {
  ...modelFields('Required: v3.1-20260211, v3.0-20250812, v2.5-20250123, P1-20260311 (or the preview P2-20260801)'),
  model_seed: Type.Optional(Seed('Geometry seed')),
  texture_seed: Type.Optional(Seed('Texture seed')),
  face_limit: Type.Optional(Type.Integer({ description: 'Target faces (P line: 48-20000)' })),
  texture: Type.Optional(Type.Boolean({ default: true })),
  pbr: Type.Optional(Type.Boolean({ default: true, description: 'true forces texture' })),
  texture_quality: Type.Optional(StringEnum(['standard', 'detailed', 'extreme'] as const, { default: 'standard' })),
  geometry_quality: Type.Optional(StringEnum(['standard', 'detailed'] as const, { description: 'H3 only; refused by the P line' })),
  auto_size: Type.Optional(Type.Boolean({ default: false })),
  quad: Type.Optional(Type.Boolean({ description: 'Quad mesh, delivered as FBX; refused by P1' })),
  smart_low_poly: Type.Optional(Type.Boolean({ description: 'Refused by the P line' })),
  generate_parts: Type.Optional(Type.Boolean({ description: 'Refused by the P line' })),
  compress: Type.Optional(StringEnum(['', 'geometry'] as const)),
  export_uv: Type.Optional(Type.Boolean({ default: true })),
  export_orientation: Type.Optional(StringEnum(['+x', '-x', '+y', '-y'] as const)),
  return_multiview: Type.Optional(Type.Boolean()),
  check_printable: Type.Optional(Type.Boolean({ description: 'Entitlement-gated upstream; echoed' })),
  ...commonParameters
}

const imageOptions = {
  texture_alignment: Type.Optional(StringEnum(['original_image', 'geometry'] as const, { default: 'original_image' })),
  orientation: Type.Optional(StringEnum(['default', 'align_image'] as const, { default: 'default' })),
  enable_image_autofix: Type.Optional(Type.Boolean({ default: false })),
  image_autofix: Type.Optional(Type.Boolean({ description: 'Alias of enable_image_autofix' })),
  mode: Type.Optional(Type.String({ description: 'Passed through' }))
}

/** `model` is required on V3's to-model endpoints (reference §0.2, X-skill §3.1: 400/1004). */
function generationParams (body: Params, drop: readonly string[] = []): Params {
  if (modelOf(body) === undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'model is required' })
  const params = withVersion(body, V3_GENERATION_VERSIONS, drop)
  if (params['image_autofix'] !== undefined) {
    params['enable_image_autofix'] = params['image_autofix']
    delete params['image_autofix']
  }
  return params
}

/** A V2 generation type with V3's versions and pools, and its image files (style, views) read as V3 inputs. */
function v3Generation (definition: TaskTypeDefinition, files?: (params: Params) => readonly FileSlot[]): TaskTypeDefinition {
  return { ...definition, versions: V3_GENERATION_VERSIONS, group: generationPool, ...(files === undefined ? {} : { files }) }
}

const styleImage = (params: Params): FileSlot[] => params['style_image'] === undefined ? [] : [{ field: 'style_image', ref: params['style_image'] as FileRef, accepts: 'image' }]

/** `style_image` as a V3 input, when given. */
function withStyleImage (params: Params): Params {
  if (params['style_image'] !== undefined) params['style_image'] = imageRef(readInput(params['style_image'], 'style_image'))
  return params
}

export const textToModel: Capability = {
  name: 'textToModel',
  path: '/generation/text-to-model',
  group: 'generation',
  summary: 'Generate a 3D model from a text prompt',
  schema: Type.Object({
    prompt: Prompt(1024, 'What to generate; up to 1024 characters'),
    negative_prompt: Type.Optional(Type.String({ maxLength: 255 })),
    image_seed: Type.Optional(Seed('Seed of the intermediate image')),
    style: Type.Optional(Type.String({ description: 'Legacy style; passed through' })),
    render_sequence: Type.Optional(Type.Boolean()),
    render_video: Type.Optional(Type.Boolean()),
    style_image: Type.Optional(Input('A style reference image')),
    ...generationOptions
  }),
  definition: v3Generation(v2TextToModel, styleImage),
  toParams: (body) => withStyleImage(generationParams(body))
}

export const imageToModel: Capability = {
  name: 'imageToModel',
  path: '/generation/image-to-model',
  group: 'generation',
  summary: 'Generate a 3D model from one image',
  schema: Type.Object({
    input: Type.Optional(Input('The image')),
    file: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'V2\'s file object ({type, file_token | url | object}), still accepted' })),
    ...imageOptions,
    ...generationOptions
  }),
  definition: v3Generation(v2ImageToModel),
  toParams: (body) => ({ ...generationParams(body, ['input']), file: imageRef(requiredInput(body, ['input', 'file'])) })
}

const VIEWS = ['front', 'left', 'back', 'right'] as const

/**
 * The four views of multiview-to-model (reference §3.1): `inputs` as 4 positional items ('' or
 * null for a gap), as view-keyed objects, or `[{task_id}]`; V2's 4-slot `files`; or a source task
 * (`original_model_task_id`, a task `input`). With a source task, views are ignored (X-skill §4).
 */
function multiviewSource (body: Params): Params {
  const reference = firstOf(body, ['original_model_task_id', 'input'])
  const inputs = body['inputs']
  const taskInput = Array.isArray(inputs) && inputs.length === 1 && typeof (inputs[0] as Params | null)?.['task_id'] === 'string'
    ? (inputs[0] as Params)['task_id'] as string
    : undefined
  if (reference !== undefined || taskInput !== undefined) {
    const source = reference === undefined ? { taskId: taskInput as string } : readInput(reference.value, reference.field)
    if ('file' in source) throw new ApiError('INVALID_PARAMETER', { detail: `${reference?.field as string}: expected the task id of a multiview image task` })
    return { original_task_id: source.taskId }
  }
  if (Array.isArray(inputs)) return { files: viewsOf(inputs) }
  if (Array.isArray(body['files'])) return { files: body['files'] }
  throw new ApiError('INVALID_PARAMETER', { detail: 'inputs, files or original_model_task_id is required' })
}

function viewsOf (inputs: readonly unknown[]): FileRef[] {
  const keyed = inputs.length > 0 && inputs.every((item) => item !== null && typeof item === 'object' && Object.keys(item).length === 1 && VIEWS.includes(Object.keys(item)[0] as typeof VIEWS[number]))
  if (keyed) {
    const byView = new Map(inputs.map((item) => Object.entries(item as Params)[0] as [string, unknown]))
    return VIEWS.map((view) => byView.has(view) ? imageRef(readInput(byView.get(view), `inputs.${view}`)) : {})
  }
  if (inputs.length !== 4) throw new ApiError('INVALID_PARAMETER', { detail: 'inputs needs 4 items [front, left, back, right] (an empty one for a missing view), or view-keyed objects' })
  return inputs.map((item, index) => item === '' || item === null ? {} : imageRef(readInput(item, `inputs[${index}]`)))
}

export const multiviewToModel: Capability = {
  name: 'multiviewToModel',
  path: '/generation/multiview-to-model',
  group: 'generation',
  summary: 'Generate a 3D model from up to four views, or from a multiview image task',
  schema: Type.Object({
    inputs: Type.Optional(Type.Array(Type.Unsafe({ type: ['string', 'object', 'null'] }), { minItems: 1, maxItems: 4, description: '[front, left, back, right] ("" for a gap), view-keyed objects ({front: ...}), or [{task_id}]' })),
    files: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 4, maxItems: 4, description: 'V2\'s four slots, still accepted ({} for a gap)' })),
    original_model_task_id: Type.Optional(Type.String({ minLength: 1, description: 'A multiview image task (V3\'s name for V2\'s original_task_id); views are then ignored' })),
    input: Type.Optional(Input('Or: the task id of a multiview image task')),
    orthographic_projection: Type.Optional(Type.Boolean()),
    ...imageOptions,
    ...generationOptions
  }),
  definition: v3Generation(v2MultiviewToModel),
  toParams: (body) => ({ ...generationParams(body, ['inputs', 'files', 'original_model_task_id', 'input', 'original_task_id']), ...multiviewSource(body) })
}

export const imageToSplat: Capability = {
  name: 'imageToSplat',
  path: '/generation/image-to-splat',
  group: 'generation',
  summary: 'Generate a Gaussian splat from one image',
  schema: Type.Object({
    input: Input('The image'),
    model_seed: Type.Optional(Seed('Random seed'))
  }),
  definition: splatType,
  toParams: (body) => {
    const { input: _input, ...rest } = body
    return { ...rest, file: imageRef(requiredInput(body, ['input'])) }
  }
}
