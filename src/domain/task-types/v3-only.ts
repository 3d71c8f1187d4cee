/**
 * Task types only V3 creates (V3 reference §3.1, §3.5): image_to_splat and mesh_smart_segmentation.
 * V2 never knew them, so their schema is their V3 body, and their parameters keep V3's names.
 * Their type strings are not published (V3 reference §11.1): the emulator names them in V2's style.
 */
import { Type } from 'typebox'
import { ApiError } from '../errors.ts'
import { defineTaskType, type OutputTemplate } from './definition.ts'
import { type FileRef, Seed, StringEnum } from './schema-kit.ts'

const SPLAT_OUTPUT: OutputTemplate = { splat_url: { asset: 'splat.ply' } }
const MASK_OUTPUT: OutputTemplate = { mask_url: { asset: 'mask.png' } }
const SEGMENTED_OUTPUT: OutputTemplate = { seg_model_url: { asset: 'segmented.glb' } }

export const imageToSplat = defineTaskType({
  type: 'image_to_splat',
  summary: 'Generate a Gaussian splat from one image',
  v3Only: true,
  schema: Type.Object({
    file: Type.Unsafe<FileRef>({ type: 'object', description: 'The image (from `input`)' }),
    model_seed: Type.Optional(Seed('Random seed'))
  }),
  durations: { queuedMs: 2000, runningMs: 10000 },
  hasModelOutput: false,
  files: (params) => [{ field: 'input', ref: params.file, accepts: 'image' }],
  // Not priced by any source: the emulator charges what an untextured image_to_model costs.
  cost: () => 20,
  group: () => 'h_series',
  outputs: () => SPLAT_OUTPUT
})

export const SEGMENTATION_GRANULARITIES = ['coarse', 'medium', 'fine'] as const

export const meshSmartSegmentation = defineTaskType({
  type: 'mesh_smart_segmentation',
  summary: 'Segment an image (a mask) or a model (its parts), with an optional hint',
  v3Only: true,
  schema: Type.Object({
    seg_type: StringEnum(['image', 'model'] as const, { description: 'What `input` is: an image (a PNG mask comes back) or a model (a segmented GLB)' }),
    file: Type.Unsafe<FileRef>({ type: 'object', description: 'The image or model (from `input`)' }),
    granularity: Type.Optional(StringEnum(SEGMENTATION_GRANULARITIES, { default: 'medium' })),
    hint: Type.Optional(Type.String({ maxLength: 1024, description: 'What to segment' })),
    transform: Type.Optional(Type.Array(Type.Number(), { minItems: 16, maxItems: 16, description: 'Column-major 4x4 matrix; required with seg_type model' }))
  }),
  durations: { queuedMs: 1000, runningMs: 6000 },
  hasModelOutput: false,
  prompts: (params) => params.hint === undefined ? [] : [params.hint],
  files: (params) => [{ field: 'input', ref: params.file, accepts: params.seg_type }],
  normalize: (params) => {
    if (params.seg_type === 'model' && params.transform === undefined) throw new ApiError('INVALID_PARAMETER', { detail: 'transform (16 numbers) is required with seg_type model' })
  },
  // Not priced by any source: the emulator's choice.
  cost: () => 10,
  group: () => 'mesh',
  outputs: (params) => params.seg_type === 'image' ? MASK_OUTPUT : SEGMENTED_OUTPUT
})
