/**
 * texture_model (reference §4.3), stylize_model (§4.7), convert_model (§4.8), mesh_segmentation,
 * mesh_completion, highpoly_to_lowpoly (§4.9) and import_model (§4.10).
 */
import { Type } from 'typebox'
import type { AssetName } from '../assets.ts'
import { ApiError } from '../errors.ts'
import { defineTaskType, type FileSlot } from './definition.ts'
import { isEmptySlot } from './model-generation.ts'
import { commonParameters, FileRefSchema, type FileRef, Seed, StringEnum } from './schema-kit.ts'
import { refuseLegacySource } from './versions.ts'

const GENERATED = ['text_to_model', 'image_to_model', 'multiview_to_model'] as const
const RIGGED = ['animate_rig', 'animate_retarget'] as const

const modelSource = (taskId: string, allowedTypes: readonly string[]) => ({
  field: 'original_model_task_id',
  taskId,
  allowedTypes,
  refuse: refuseLegacySource
})

const OriginalModelTaskId = Type.String({ minLength: 1, description: 'A successful task whose output holds a model' })
const PartNames = Type.Array(Type.String(), { description: 'Part names from mesh_segmentation; all parts when omitted' })

export const textureModel = defineTaskType({
  type: 'texture_model',
  summary: 'Texture (or re-texture) a model',
  schema: Type.Object({
    type: Type.Literal('texture_model'),
    original_model_task_id: OriginalModelTaskId,
    model_version: Type.Optional(StringEnum(['v2.5-20250123', 'v3.0-20250812'] as const, { default: 'v2.5-20250123' })),
    texture_prompt: Type.Optional(Type.Object({
      text: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
      image: Type.Optional(FileRefSchema),
      images: Type.Optional(Type.Array(FileRefSchema, { minItems: 4, maxItems: 4, description: '[front, left, back, right]; at least 2 real' })),
      style_image: Type.Optional(FileRefSchema)
    }, { description: 'One of text, image or images; style_image only with text' })),
    texture: Type.Optional(Type.Boolean({ default: true })),
    pbr: Type.Optional(Type.Boolean({ default: true })),
    texture_seed: Type.Optional(Seed('Texture seed')),
    model_seed: Type.Optional(Seed('Model seed')),
    texture_alignment: Type.Optional(StringEnum(['original_image', 'geometry'] as const, { default: 'original_image' })),
    texture_quality: Type.Optional(StringEnum(['standard', 'detailed', 'extreme'] as const, { default: 'standard' })),
    part_names: Type.Optional(PartNames),
    compress: Type.Optional(StringEnum(['', 'geometry'] as const)),
    bake: Type.Optional(Type.Boolean({ default: true })),
    ...commonParameters
  }),
  versions: { default: 'v2.5-20250123', accepted: ['v2.5-20250123', 'v3.0-20250812'], deprecated: ['v2.0-20240919'] },
  durations: { queuedMs: 2000, runningMs: 10000 },
  hasModelOutput: true,
  prompts: (params) => params.texture_prompt?.text === undefined ? [] : [params.texture_prompt.text],
  files: (params) => {
    const prompt = params.texture_prompt
    if (prompt === undefined) return []
    const slots: FileSlot[] = []
    if (prompt.image !== undefined) slots.push({ field: 'texture_prompt.image', ref: prompt.image, accepts: 'image' })
    if (prompt.style_image !== undefined) slots.push({ field: 'texture_prompt.style_image', ref: prompt.style_image, accepts: 'image' })
    prompt.images?.forEach((ref: FileRef, index: number) => {
      if (!isEmptySlot(ref)) slots.push({ field: `texture_prompt.images[${index}]`, ref, accepts: 'image' })
    })
    return slots
  },
  sources: (params) => [modelSource(params.original_model_task_id, [...GENERATED, 'texture_model', 'import_model'])],
  normalize: (params) => {
    const prompt = params.texture_prompt
    if (prompt === undefined) return
    const kinds = [prompt.text, prompt.image, prompt.images].filter((value) => value !== undefined).length
    if (kinds > 1) throw new ApiError('INVALID_PARAMETER', { detail: 'texture_prompt takes one of text, image or images' })
    if (prompt.style_image !== undefined && prompt.text === undefined) {
      throw new ApiError('INVALID_PARAMETER', { detail: 'texture_prompt.style_image needs texture_prompt.text' })
    }
    if (prompt.images !== undefined && prompt.images.filter((ref: FileRef) => !isEmptySlot(ref)).length < 2) {
      throw new ApiError('INVALID_PARAMETER', { detail: 'texture_prompt.images needs at least 2 views' })
    }
  },
  // The sources disagree (reference §8.3); 10/20/30 by texture quality is the likeliest.
  cost: (params) => ({ standard: 10, detailed: 20, extreme: 30 })[params.texture_quality ?? 'standard'],
  group: () => 'other',
  outputs: (params) => ({
    [params.pbr !== false ? 'pbr_model' : 'model']: { asset: 'textured.glb' },
    rendered_image: { asset: 'preview.webp' }
  })
})

export const stylizeModel = defineTaskType({
  type: 'stylize_model',
  summary: 'Restyle a model as lego, voxel, voronoi or minecraft',
  schema: Type.Object({
    type: Type.Literal('stylize_model'),
    original_model_task_id: OriginalModelTaskId,
    style: StringEnum(['lego', 'voxel', 'voronoi', 'minecraft', 'keyring', 'fridge_magnet', 'keycap'] as const, { description: 'minecraft outputs a .schem file' }),
    block_size: Type.Optional(Type.Integer({ minimum: 32, maximum: 128, default: 80, description: 'Block size, minecraft only' })),
    ...commonParameters
  }),
  durations: { queuedMs: 1000, runningMs: 4000 },
  hasModelOutput: true,
  sources: (params) => [modelSource(params.original_model_task_id, [...GENERATED, 'texture_model', 'refine_model', 'import_model', ...RIGGED])],
  // Not priced by any source (reference §8.3); the emulator charges 20.
  cost: () => 20,
  group: () => 'other',
  outputs: (params) => ({ model: { asset: params.style === 'minecraft' ? 'minecraft.schem' : 'stylized.glb' } })
})

/** What a conversion to each format serves; GLB only through V3 (V2's pattern refuses it). */
const CONVERT_FORMATS: Record<string, AssetName> = {
  GLTF: 'model.gltf', USDZ: 'model.usdz', FBX: 'model.fbx', OBJ: 'model.obj.zip', STL: 'model.stl', '3MF': 'model.3mf', GLB: 'textured.glb'
}

/** Options whose mere presence (or a true value) makes a "complex" conversion: +5 credits. */
const COMPLEX_WHEN_SET = ['face_limit', 'flatten_bottom_threshold', 'texture_size', 'texture_format', 'scale_factor'] as const
const COMPLEX_WHEN_TRUE = ['quad', 'flatten_bottom', 'pivot_to_center_bottom'] as const

export const convertModel = defineTaskType({
  type: 'convert_model',
  summary: 'Convert a model to GLTF, USDZ, FBX, OBJ (zip), STL or 3MF',
  schema: Type.Object({
    type: Type.Literal('convert_model'),
    original_model_task_id: OriginalModelTaskId,
    format: Type.String({ pattern: '^(?:[gG][lL][tT][fF]|[uU][sS][dD][zZ]|[fF][bB][xX]|[oO][bB][jJ]|[sS][tT][lL]|3[mM][fF])$', description: 'GLTF, USDZ, FBX, OBJ, STL or 3MF (case-insensitive)' }),
    quad: Type.Optional(Type.Boolean({ default: false })),
    force_symmetry: Type.Optional(Type.Boolean({ default: false, description: 'Only with quad' })),
    face_limit: Type.Optional(Type.Integer({ description: 'Default 10000; setting it costs +5' })),
    flatten_bottom: Type.Optional(Type.Boolean({ default: false })),
    flatten_bottom_threshold: Type.Optional(Type.Number({ description: 'Default 0.01; setting it costs +5' })),
    texture_size: Type.Optional(Type.Integer({ description: 'Default 2048 (4096 for v2.0+ sources); setting it costs +5' })),
    texture_format: Type.Optional(StringEnum(['BMP', 'DPX', 'HDR', 'JPEG', 'OPEN_EXR', 'PNG', 'TARGA', 'TIFF', 'WEBP'] as const, { description: 'Default JPEG (PNG for FBX); setting it costs +5' })),
    pivot_to_center_bottom: Type.Optional(Type.Boolean({ default: false })),
    scale_factor: Type.Optional(Type.Number({ description: 'Default 1; setting it costs +5' })),
    with_animation: Type.Optional(Type.Boolean({ default: true })),
    pack_uv: Type.Optional(Type.Boolean({ default: false })),
    bake: Type.Optional(Type.Boolean({ default: true })),
    part_names: Type.Optional(PartNames),
    animate_in_place: Type.Optional(Type.Boolean({ default: false })),
    export_vertex_colors: Type.Optional(Type.Boolean({ default: false, description: 'OBJ and GLTF only' })),
    export_orientation: Type.Optional(StringEnum(['+x', '-x', '+y', '-y'] as const, { default: '+x' })),
    fbx_preset: Type.Optional(StringEnum(['blender', 'mixamo', '3dsmax'] as const, { default: 'blender' })),
    ...commonParameters
  }),
  durations: { queuedMs: 1000, runningMs: 4000 },
  hasModelOutput: true,
  sources: (params) => [{
    ...modelSource(params.original_model_task_id, [...GENERATED, 'texture_model', 'refine_model', 'import_model', ...RIGGED, 'convert_model']),
    refuse: (source) => {
      const format = params.format.toUpperCase()
      if ((RIGGED as readonly string[]).includes(source.type) && (format === 'OBJ' || format === 'STL')) {
        return `${format} is not supported with rigged models`
      }
      return refuseLegacySource(source)
    }
  }],
  normalize: (params) => { params.format = params.format.toUpperCase() },
  cost: (params) => {
    const complex = COMPLEX_WHEN_SET.some((field) => params[field] !== undefined) ||
      COMPLEX_WHEN_TRUE.some((field) => params[field] === true)
    return complex ? 10 : 5
  },
  group: () => 'other',
  // `format` passed its pattern (or V3's enum): it is one of the seven.
  outputs: (params) => ({ model: { asset: CONVERT_FORMATS[params.format.toUpperCase()] as AssetName } })
})

export const meshSegmentation = defineTaskType({
  type: 'mesh_segmentation',
  summary: 'Split a model into named parts',
  schema: Type.Object({
    type: Type.Literal('mesh_segmentation'),
    original_model_task_id: OriginalModelTaskId,
    model_version: Type.Optional(StringEnum(['v1.0-20250506'] as const, { default: 'v1.0-20250506' })),
    ...commonParameters
  }),
  versions: { default: 'v1.0-20250506', accepted: ['v1.0-20250506'], deprecated: [] },
  durations: { queuedMs: 1000, runningMs: 10000 },
  hasModelOutput: true,
  sources: (params) => [modelSource(params.original_model_task_id, [...GENERATED, 'texture_model', 'refine_model', 'import_model', 'highpoly_to_lowpoly'])],
  cost: () => 40,
  group: () => 'other',
  outputs: () => ({ model: { asset: 'segmented.glb' } })
})

export const meshCompletion = defineTaskType({
  type: 'mesh_completion',
  summary: 'Complete the parts of a segmented model',
  schema: Type.Object({
    type: Type.Literal('mesh_completion'),
    original_model_task_id: Type.String({ minLength: 1, description: 'A successful mesh_segmentation task' }),
    model_version: Type.Optional(StringEnum(['v1.0-20250506', 'P-v2.0-20251225'] as const, { default: 'v1.0-20250506' })),
    part_names: Type.Optional(PartNames),
    ...commonParameters
  }),
  versions: { default: 'v1.0-20250506', accepted: ['v1.0-20250506', 'P-v2.0-20251225'], deprecated: [] },
  durations: { queuedMs: 1000, runningMs: 12000 },
  hasModelOutput: true,
  sources: (params) => [modelSource(params.original_model_task_id, ['mesh_segmentation'])],
  cost: () => 50,
  group: () => 'other',
  outputs: () => ({ model: { asset: 'segmented.glb' } })
})

export const highpolyToLowpoly = defineTaskType({
  type: 'highpoly_to_lowpoly',
  summary: 'Smart low poly: retopologize a model',
  schema: Type.Object({
    type: Type.Literal('highpoly_to_lowpoly'),
    original_model_task_id: OriginalModelTaskId,
    model_version: Type.Optional(StringEnum(['P-v2.0-20251225', 'P-v2.0-20251226'] as const, { default: 'P-v2.0-20251225' })),
    quad: Type.Optional(Type.Boolean({ default: false })),
    face_limit: Type.Optional(Type.Integer({ description: '500-20000 (quad 500-10000); clamped' })),
    part_names: Type.Optional(PartNames),
    bake: Type.Optional(Type.Boolean({ default: true })),
    ...commonParameters
  }),
  versions: { default: 'P-v2.0-20251225', accepted: ['P-v2.0-20251225', 'P-v2.0-20251226'], deprecated: ['P-v1.0-20250506'] },
  durations: { queuedMs: 1000, runningMs: 10000 },
  hasModelOutput: true,
  sources: (params) => [modelSource(params.original_model_task_id, [...GENERATED, 'texture_model', 'refine_model', 'import_model', 'mesh_segmentation', 'mesh_completion'])],
  cost: () => 30,
  group: () => 'other',
  outputs: (params) => ({ model: { asset: params.quad === true ? 'quad.fbx' : 'lowpoly.glb' } })
})

export const importModel = defineTaskType({
  type: 'import_model',
  summary: 'Import a model uploaded through STS, to post-process it',
  schema: Type.Object({
    type: Type.Literal('import_model'),
    file: FileRefSchema,
    model_version: Type.Optional(Type.String({ description: 'Ignored: import is version-independent' })),
    ...commonParameters
  }),
  versions: { accepted: [], deprecated: [], free: true },
  durations: { queuedMs: 500, runningMs: 2000 },
  hasModelOutput: true,
  files: (params) => [{ field: 'file', ref: params.file, accepts: 'model', objectOnly: true }],
  cost: () => 0,
  group: () => 'other',
  // The file resolver admits only an STS object here (objectOnly), resolved with its extension:
  // the output serves the imported file back.
  outputs: (_params, context) => {
    const { object, ext } = context.files.get('file') as { object: { bucket: string, key: string }, ext: string }
    return { model: { object, ext } }
  }
})
