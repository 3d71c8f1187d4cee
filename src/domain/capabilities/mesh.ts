/**
 * V3's mesh endpoints (V3 reference §3.5): segment, smartsegment, complete and decimate.
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import type { FileSlot, Params } from '../task-types/definition.ts'
import { highpolyToLowpoly, meshCompletion, meshSegmentation } from '../task-types/post-processing.ts'
import { commonParameters, type FileRef, StringEnum } from '../task-types/schema-kit.ts'
import { meshSmartSegmentation, SEGMENTATION_GRANULARITIES } from '../task-types/v3-only.ts'
import type { VersionPolicy } from '../task-types/versions.ts'
import { type Capability, imageRef, Input, modelFields, modelSource, readInput, requiredInput, sourceTask, withModelInput, withVersion } from './capability.ts'

const OriginalModelTaskId = Type.Optional(Type.String({ minLength: 1, description: 'V2\'s name for the source task, still accepted' }))
const SOURCE_FIELDS = ['input', 'original_model_task_id'] as const
const PartNames = Type.Optional(Type.Array(Type.String(), { description: 'Part names from a segmentation; all parts when omitted' }))

/** V3 adds a v2.0 segmentation model with options of its own (reference §3.5). */
const SEGMENT_VERSIONS: VersionPolicy = { default: 'v1.0-20250506', accepted: ['v1.0-20250506', 'v2.0-20260430'], deprecated: [] }
const SEGMENT_V2_OPTIONS = ['segmentation_granularity', 'split_by_connectivity', 'ref_image'] as const

const refImage = (params: Params): FileSlot[] => params['ref_image'] === undefined ? [] : [{ field: 'ref_image', ref: params['ref_image'] as FileRef, accepts: 'image' }]

export const segment: Capability = {
  name: 'segment',
  path: '/mesh/segment',
  group: 'mesh',
  summary: 'Split a model into named parts',
  schema: Type.Object({
    input: Type.Optional(Input('The model: a task id, a file_token or a URL')),
    original_model_task_id: OriginalModelTaskId,
    ...modelFields('v1.0-20250506 (default) or v2.0-20260430'),
    segmentation_granularity: Type.Optional(StringEnum(['simple', 'balanced', 'detailed'] as const, { description: 'v2.0-20260430 only' })),
    split_by_connectivity: Type.Optional(Type.Boolean({ description: 'v2.0-20260430 only' })),
    ref_image: Type.Optional(Input('A reference image (v2.0-20260430 only)')),
    ...commonParameters
  }),
  definition: {
    ...withModelInput({ ...meshSegmentation, files: refImage }),
    versions: SEGMENT_VERSIONS,
    normalize: (params) => {
      const v2Only = SEGMENT_V2_OPTIONS.find((field) => params[field] !== undefined)
      if (v2Only !== undefined && params['model_version'] !== 'v2.0-20260430') throw new ApiError('INVALID_PARAMETER', { detail: `${v2Only} needs model v2.0-20260430` })
    },
    group: () => 'mesh'
  },
  toParams: (body) => {
    const params: Params = { ...withVersion(body, SEGMENT_VERSIONS, [...SOURCE_FIELDS]), ...modelSource(body) }
    if (params['ref_image'] !== undefined) params['ref_image'] = imageRef(readInput(params['ref_image'], 'ref_image'))
    return params
  }
}

export const smartSegment: Capability = {
  name: 'smartSegment',
  path: '/mesh/smartsegment',
  group: 'mesh',
  summary: 'Segment an image or a model interactively, with an optional hint',
  schema: Type.Object({
    seg_type: StringEnum(['image', 'model'] as const, { description: 'What input is' }),
    input: Input('The image or the model: a file_token or a URL'),
    granularity: Type.Optional(StringEnum(SEGMENTATION_GRANULARITIES, { default: 'medium' })),
    hint: Type.Optional(Type.String({ maxLength: 1024 })),
    transform: Type.Optional(Type.Array(Type.Number(), { minItems: 16, maxItems: 16, description: 'Column-major 4x4 matrix; required with seg_type model' }))
  }),
  definition: meshSmartSegmentation,
  toParams: (body) => {
    const source = requiredInput(body, ['input'])
    if (!('file' in source)) throw new ApiError('INVALID_PARAMETER', { detail: 'input: expected a file_token or a URL' })
    const { input: _input, ...rest } = body
    return { ...rest, file: source.file }
  }
}

export const complete: Capability = {
  name: 'complete',
  path: '/mesh/complete',
  group: 'mesh',
  summary: 'Complete the parts of a segmented model',
  schema: Type.Object({
    input: Type.Optional(Input('The task id of a segment task')),
    original_model_task_id: OriginalModelTaskId,
    ...modelFields('v1.0-20250506 (default) or P-v2.0-20251225'),
    part_names: PartNames,
    completion_mode: Type.Optional(StringEnum(['ai_completion', 'quick_cap'] as const)),
    ...commonParameters
  }),
  definition: { ...meshCompletion, group: () => 'mesh' },
  toParams: (body) => ({ ...withVersion(body, meshCompletion.versions, [...SOURCE_FIELDS]), original_model_task_id: sourceTask(body, [...SOURCE_FIELDS]) })
}

/**
 * V3's decimation models are v1.0, v2.0 (the default, the engine V2 ran) and v3.0; V2's P-...
 * names are still read (X-skill §3.2, the Python SDK 1.0 notes).
 */
const DECIMATE_VERSIONS: VersionPolicy = { default: 'v2.0', accepted: ['v1.0', 'v2.0', 'v3.0', 'P-v2.0-20251225', 'P-v2.0-20251226', 'P-v1.0-20250506'], deprecated: [] }

export const decimate: Capability = {
  name: 'decimate',
  path: '/mesh/decimate',
  group: 'mesh',
  summary: 'Reduce a model\'s faces (smart low poly)',
  schema: Type.Object({
    input: Type.Optional(Input('The model: a task id or a file_token')),
    original_model_task_id: OriginalModelTaskId,
    ...modelFields('v2.0 (default), v1.0 or v3.0; V2\'s P-v2.0-20251225 is read too'),
    face_limit: Type.Optional(Type.Integer({ description: '500-20000 (quad 500-10000); clamped' })),
    quad: Type.Optional(Type.Boolean({ default: false })),
    part_names: PartNames,
    bake: Type.Optional(Type.Boolean({ default: true })),
    ...commonParameters
  }),
  definition: { ...withModelInput(highpolyToLowpoly), versions: DECIMATE_VERSIONS, group: () => 'mesh' },
  toParams: (body) => ({ ...withVersion(body, DECIMATE_VERSIONS, [...SOURCE_FIELDS]), ...modelSource(body) })
}
